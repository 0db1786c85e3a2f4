#include "domain/device_commander.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

namespace solgrid::domain {

device_commander::device_commander(asio::any_io_executor ex, device_gateway& gateway, relay_service& relays,
                                   options opts)
    : strand_(asio::make_strand(ex)),
      gateway_(gateway),
      relays_(relays),
      opts_(opts),
      wake_(strand_) {
    opts_.max_attempts = std::max(opts_.max_attempts, 1);
}

void device_commander::start() { asio::co_spawn(strand_, run(), asio::detached); }

void device_commander::submit(relay_command cmd) {
    asio::post(strand_, [this, cmd] {
        if (cmd.version <= newest_) return;  // an older command arriving late
        newest_ = cmd.version;
        next_ = cmd;
        wake_.cancel();
    });
}

void device_commander::stop() {
    stopping_ = true;
    asio::post(strand_, [this] { wake_.cancel(); });
}

asio::awaitable<void> device_commander::run() {
    constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    while (!stopping_) {
        if (!next_) {
            wake_.expires_at(asio::steady_timer::time_point::max());
            co_await wake_.async_wait(use_tuple);
            continue;
        }
        relay_command cmd = *next_;
        next_.reset();
        for (int attempt = 1; !stopping_ && relays_.needs_delivery(cmd.version); ++attempt) {
            relays_.command_attempt(cmd.version, attempt);
            std::optional<relay_report> ack;
            std::string why;
            try {
                ack = co_await gateway_.send_relays(cmd);
            } catch (const std::exception& e) {
                why = e.what();
            }
            if (ack) {
                if (attempt > 1) spdlog::info("relay command {} delivered on attempt {}", cmd.version, attempt);
                relays_.command_delivered(cmd.version, *ack);
                break;
            }
            if (superseded(cmd.version)) break;  // the newest state wins; send that now
            bool final = attempt >= opts_.max_attempts;
            relays_.command_failed(cmd.version, attempt, why, final);
            if (final) {
                spdlog::warn("relay command {} failed after {} attempts: {} (the device still gets it in its next "
                             "sensor-post reply)",
                             cmd.version, attempt, why);
                break;
            }
            spdlog::debug("relay command {} attempt {} failed: {}", cmd.version, attempt, why);
            wake_.expires_after(backoff_delay(opts_.backoff, attempt, unit(rng_)));
            co_await wake_.async_wait(use_tuple);  // cut short by submit()/stop()
            if (superseded(cmd.version)) break;
        }
    }
}

}  // namespace solgrid::domain
