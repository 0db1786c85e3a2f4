// matching-bench: the market's matching engine alone, in memory, one core.
// A fixed-seed "realistic mix" is generated up front (limit orders around a
// drifting mid price, ~30% of inserts crossing the spread, ~20% of operations
// cancels, 4 households + the pool account, some ioc), then replayed:
//   1. batch-timed passes (throughput: inserts/s, operations/s);
//   2. a pass timing every insert with steady_clock (latency p50/p99/p99.9/max;
//      includes the ~20-30 ns cost of reading the clock twice).
#include "domain/market/order_book.hpp"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

using namespace solgrid::domain::market;
using clk = std::chrono::steady_clock;

namespace {

struct op {
    order_id id;        // insert: new id; cancel: the id to cancel
    std::int32_t price;
    std::int32_t energy_wh;
    bool cancel;
    bool crossing;
    side sd;
    time_in_force tif;
    char account;
};

constexpr std::int64_t floor_price = 1, ceiling_price = 100'000;

std::vector<op> generate(std::size_t n, std::uint64_t seed, double crossing, double cancels) {
    std::mt19937_64 rng(seed);
    std::uniform_real_distribution<double> u(0, 1);
    auto pick = [&](std::int64_t lo, std::int64_t hi) { return std::uniform_int_distribution<std::int64_t>(lo, hi)(rng); };
    std::vector<op> ops;
    ops.reserve(n);
    std::vector<order_id> recent(8192, 0);  // ring of recent resting candidates to cancel
    std::size_t ring = 0;
    order_id next = 1;
    std::int64_t mid = 50'000;
    for (std::size_t i = 0; i < n; ++i) {
        if (i % 64 == 0) mid = std::clamp<std::int64_t>(mid + pick(-3, 3), 1'000, 99'000);  // drift
        if (u(rng) < cancels) {
            ops.push_back(op{recent[static_cast<std::size_t>(pick(0, 8191))], 0, 0, true, false, side::buy,
                             time_in_force::gtc, 0});
            continue;
        }
        op o{};
        o.id = next++;
        o.sd = pick(0, 1) ? side::buy : side::sell;
        o.account = "ABCDP"[pick(0, 4)];
        o.energy_wh = static_cast<std::int32_t>(pick(1, 50) * 100);  // 100 Wh .. 5 kWh
        o.crossing = u(rng) < crossing;
        const bool buy = o.sd == side::buy;
        std::int64_t off = o.crossing ? pick(1, 8)                         // through the spread
                                      : -1 - static_cast<std::int64_t>(std::min(60.0, -std::log(u(rng) + 1e-12) * 8));
        o.price = static_cast<std::int32_t>(buy ? mid + off : mid - off);
        o.tif = o.crossing && pick(0, 3) == 0 ? time_in_force::ioc : time_in_force::gtc;
        if (!o.crossing) recent[ring++ % recent.size()] = o.id;
        ops.push_back(o);
    }
    return ops;
}

struct pass_stats {
    double seconds = 0;
    std::size_t inserts = 0, cancels = 0, trades = 0, open_at_end = 0;
};

pass_stats replay(const std::vector<op>& ops, std::vector<std::uint32_t>* lat_ns) {
    order_book book(floor_price, ceiling_price, 1 << 20);
    fills f;
    f.trades.reserve(256);
    f.self_trade_cancelled.reserve(64);
    pass_stats s;
    order o;
    auto t0 = clk::now();
    for (const op& x : ops) {
        if (x.cancel) {
            book.cancel(x.id);
            ++s.cancels;
            continue;
        }
        o.id = x.id;
        o.account = x.account;
        o.side = x.sd;
        o.energy_wh = x.energy_wh;
        o.price = x.price;
        o.tif = x.tif;
        if (lat_ns) {
            auto a = clk::now();
            book.insert(o, f);
            auto b = clk::now();
            lat_ns->push_back(static_cast<std::uint32_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(b - a).count()));
        } else {
            book.insert(o, f);
        }
        s.trades += f.trades.size();
        ++s.inserts;
    }
    s.seconds = std::chrono::duration<double>(clk::now() - t0).count();
    s.open_at_end = book.open_orders();
    return s;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"matching-bench: order book inserts/s and insert latency"};
    std::size_t n = 2'000'000;
    std::uint64_t seed = 20261129;
    double crossing = 0.30, cancels = 0.20;
    int passes = 3;
    app.add_option("-n,--ops", n, "operations per pass (inserts + cancels)");
    app.add_option("--seed", seed, "random seed of the generated mix");
    app.add_option("--crossing", crossing, "share of inserts priced through the spread");
    app.add_option("--cancels", cancels, "share of operations that are cancels");
    app.add_option("--passes", passes, "batch-timed passes");
    CLI11_PARSE(app, argc, argv);

    auto ops = generate(n, seed, crossing, cancels);
    std::printf("mix: %zu ops, seed %llu, %.0f%% of inserts crossing, %.0f%% cancels, prices [%lld, %lld]\n", n,
                static_cast<unsigned long long>(seed), crossing * 100, cancels * 100,
                static_cast<long long>(floor_price), static_cast<long long>(ceiling_price));
    for (int p = 0; p < passes; ++p) {
        auto s = replay(ops, nullptr);
        std::printf("pass %d: %.3f s, %.2f M inserts/s (%.2f M ops/s incl. cancels), %zu inserts, %zu cancels, "
                    "%zu trades, %zu open at end\n",
                    p + 1, s.seconds, s.inserts / s.seconds / 1e6, (s.inserts + s.cancels) / s.seconds / 1e6,
                    s.inserts, s.cancels, s.trades, s.open_at_end);
    }
    std::vector<std::uint32_t> lat;
    lat.reserve(n);
    auto s = replay(ops, &lat);
    std::sort(lat.begin(), lat.end());
    auto q = [&](double p) { return lat[std::min(lat.size() - 1, static_cast<std::size_t>(p * lat.size()))]; };
    std::printf("latency per insert (timed pass, %.2f M inserts/s with clock reads): p50 %u ns, p99 %u ns, "
                "p99.9 %u ns, max %u ns\n",
                s.inserts / s.seconds / 1e6, q(0.50), q(0.99), q(0.999), lat.back());
    return 0;
}
