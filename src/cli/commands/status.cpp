// `raycl status`: what `ray status` prints (which needs the GCS), through the dashboard alone;
// `--output json|yaml` prints the structured form as the dashboard sends it.
#include "commands/commands.hpp"
#include "process.hpp"
#include "session.hpp"

namespace raycl::cli {
namespace {

namespace asio = boost::asio;

asio::awaitable<int> run_status(session& s) {
    auto op = s.ray().get_cluster_status();
    const auto status = co_await std::move(op);
    // print() adds nothing to the text: `ray status` ends it with one newline.
    s.print(*status.raw, [&] { return status.text + "\n"; });
    co_return exit_code::ok;
}

}  // namespace

void define_status_command(command_tree& tree, command&) {
    auto status = tree.add_command(tree.root(), "status", "the cluster's nodes, resources and demands (ray status)",
                                   command_kind::cluster_status, {&run_status});
    tree.describe(status, "",
                  "Prints the text `ray status` prints, from the dashboard (Ray's own command needs the GCS). "
                  "With --output json or yaml: the autoscaler's structured report as the dashboard sends it "
                  "(its clusterStatus is null on clusters run by autoscaler v2).");
}

}  // namespace raycl::cli
