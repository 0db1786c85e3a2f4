#include "app/cli_support.hpp"

#include "app/logging.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

namespace solgrid::app::cli {

void log_to_stderr(const std::string& level) {
    auto& sinks = spdlog::default_logger()->sinks();
    sinks.clear();
    sinks.push_back(std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
    setup_logging(level);
}

}  // namespace solgrid::app::cli
