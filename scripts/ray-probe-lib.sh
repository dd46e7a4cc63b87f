# Helpers to record dashboard responses into test/fixtures/ray (source after the cluster env file).
#   rec FILE METHOD PATH [JSON-BODY] [extra curl args...]
# Writes the body to $FIX/FILE and appends "FILE | METHOD PATH | status | content-type" to $FIX/.index
FIX=${FIX:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/test/fixtures/ray}
auth_hdr() { [ "${RAYCL_TEST_AUTH:-disabled}" = token ] && printf '%s' "Authorization: Bearer $RAYCL_TEST_TOKEN" || printf '%s' "X-Raycl-No-Auth: 1"; }
rec() {
  local file=$1 method=$2 path=$3 data=${4:-}; shift 3; [ $# -gt 0 ] && shift
  local args=(-sS -X "$method" -H 'User-Agent: raycl-probe' -H "$(auth_hdr)" -o "$FIX/$file" -w '%{http_code} %{content_type}')
  [ -n "$data" ] && args+=(-H 'Content-Type: application/json' --data "$data")
  local out; out=$(curl "${args[@]}" "$@" "$RAYCL_TEST_ADDRESS$path")
  echo "$file | $method $path${data:+ (body: $data)} | ${out%% *} | ${out#* } | auth=$RAYCL_TEST_AUTH" | tee -a "$FIX/.index"
}
api() { curl -sS -H 'User-Agent: raycl-probe' -H "$(auth_hdr)" "$@"; }
