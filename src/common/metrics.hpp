// Prometheus metrics (issue 14): counters, gauges and histograms with
// labels, and the text exposition format 0.0.4 for GET /metrics. Naming
// follows Prometheus: base units, `_total` for counters, `_seconds` for
// durations. A family is registered once (at start-up); its children (one per
// label-value set) are created on first use and live as long as the
// registry, so a hot path keeps the returned reference and only touches
// atomics. Any thread; render() takes a consistent-enough snapshot (each
// value read atomically; a histogram's buckets, sum and count may be one
// observation apart while it is being written).
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace solgrid::common::metrics {

class counter {
public:
    void inc(std::uint64_t n = 1) noexcept { v_.fetch_add(n, std::memory_order_relaxed); }
    std::uint64_t value() const noexcept { return v_.load(std::memory_order_relaxed); }

private:
    std::atomic<std::uint64_t> v_{0};
};

class gauge {
public:
    void set(double v) noexcept { v_.store(v, std::memory_order_relaxed); }
    void add(double d) noexcept;
    double value() const noexcept { return v_.load(std::memory_order_relaxed); }

private:
    std::atomic<double> v_{0.0};
};

class histogram {
public:
    explicit histogram(const std::vector<double>& bounds);  // upper bounds, ascending; +Inf is implied
    void observe(double v) noexcept;
    const std::vector<double>& bounds() const { return bounds_; }
    // Cumulative counts per bound (+Inf last), sum, count.
    std::vector<std::uint64_t> cumulative() const;
    double sum() const noexcept { return sum_.load(std::memory_order_relaxed); }
    std::uint64_t count() const noexcept { return count_.load(std::memory_order_relaxed); }

private:
    std::vector<double> bounds_;
    std::unique_ptr<std::atomic<std::uint64_t>[]> buckets_;  // per bucket, not cumulative; +Inf last
    std::atomic<double> sum_{0.0};
    std::atomic<std::uint64_t> count_{0};
};

// Default buckets for request durations in seconds (100 µs .. 10 s).
const std::vector<double>& duration_buckets();

enum class kind { counter, gauge, histogram };

// One metric name with its help text, type, label names and children.
template <class Metric>
class family {
public:
    // The child for these label values (in label-name order); created once.
    Metric& with(const std::vector<std::string>& values);
    Metric& get() { return with({}); }  // no labels

    // Made by registry::add_*.
    family(std::string name, std::string help, std::vector<std::string> labels, std::vector<double> bounds = {})
        : name_(std::move(name)), help_(std::move(help)), labels_(std::move(labels)), bounds_(std::move(bounds)) {}

private:
    friend class registry;
    std::string name_, help_;
    std::vector<std::string> labels_;
    std::vector<double> bounds_;  // histograms
    mutable std::mutex mutex_;
    std::map<std::vector<std::string>, std::unique_ptr<Metric>> children_;
};

class registry {
public:
    // Names must match [a-zA-Z_:][a-zA-Z0-9_:]*, labels [a-zA-Z_][a-zA-Z0-9_]*
    // and not start with "__"; a name registered twice throws
    // std::invalid_argument (a programming error, found at start-up).
    family<counter>& add_counter(std::string name, std::string help, std::vector<std::string> labels = {});
    family<gauge>& add_gauge(std::string name, std::string help, std::vector<std::string> labels = {});
    family<histogram>& add_histogram(std::string name, std::string help, std::vector<std::string> labels = {},
                                     std::vector<double> bounds = duration_buckets());
    // A gauge computed when scraped (connections open, device last-seen age).
    void add_callback_gauge(std::string name, std::string help, std::function<double()> read);

    // A counter or gauge family whose samples a component computes when
    // scraped (its own atomics, a registry it keeps): `read` returns one
    // sample per label-value set (in `labels` order; a sample with the wrong
    // number of values is skipped). Called under the registry's lock, from
    // the scraping thread: it must not call back into the registry.
    struct sample {
        std::vector<std::string> values;
        double value = 0;
    };
    void add_callback(kind k, std::string name, std::string help, std::vector<std::string> labels,
                      std::function<std::vector<sample>()> read);
    // A label-less histogram a component owns (it must outlive the registry's use).
    void add_histogram_view(std::string name, std::string help, const histogram& h);

    // The text exposition format (Content-Type: text/plain; version=0.0.4).
    std::string render() const;

private:
    struct entry {
        kind k;
        std::string name;
        void* fam;  // family<counter|gauge|histogram>*
        std::function<double()> read;  // callback gauges
        std::vector<std::string> labels;                // callback families
        std::function<std::vector<sample>()> samples;   // callback families
        std::string help;
        const histogram* view = nullptr;                // histogram views
    };
    void check_new(const std::string& name, const std::vector<std::string>& labels) const;

    mutable std::mutex mutex_;
    std::deque<family<counter>> counters_;
    std::deque<family<gauge>> gauges_;
    std::deque<family<histogram>> histograms_;
    std::vector<entry> order_;  // registration order, for render()
};

// A label value or help text escaped as the exposition format requires.
std::string escape_label_value(std::string_view v);
std::string escape_help(std::string_view v);
// A sample value: integers without exponent, +Inf/-Inf/NaN spelled as Prometheus does.
std::string format_value(double v);

}  // namespace solgrid::common::metrics
