# Sourced (not run) by the build scripts: the ccache settings every build tree of this checkout
# shares, on a fresh machine (no ccache.conf) as here. Needs $root (the checkout).
#  - base_dir = the checkout: ccache rewrites the absolute paths of a compile command to paths
#    relative to the build tree, so a clone at another path (CI clones afresh each run) and trees
#    at the same depth below the checkout (build, build-asan, build-tsan, build-fuzz) share entries;
#  - hash_dir off: the build tree's own path is not part of the key (with -g ccache would hash it);
#  - max_size: a run fills about <see docs/hardening.md> with the main, ASan, TSan and fuzz trees; ccache's
#    default 5 GB is raised only when nothing configured it (a user's setting wins).
# A caller's own CCACHE_BASEDIR / CCACHE_NOHASHDIR / CCACHE_MAXSIZE win too.
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$root}"
export CCACHE_NOHASHDIR="${CCACHE_NOHASHDIR:-1}"
if [ -z "${CCACHE_MAXSIZE:-}" ] && command -v ccache >/dev/null &&
   [ "$(ccache -k max_size 2>/dev/null)" = "5.0G" ]; then
  export CCACHE_MAXSIZE=12G
fi
