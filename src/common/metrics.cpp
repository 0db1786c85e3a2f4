#include "common/metrics.hpp"

#include "common/json_text.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace solgrid::common::metrics {

namespace {

void add_double(std::atomic<double>& a, double d) noexcept {
    double cur = a.load(std::memory_order_relaxed);
    while (!a.compare_exchange_weak(cur, cur + d, std::memory_order_relaxed)) {
    }
}

bool valid_name(std::string_view n, bool label) {
    if (n.empty()) return false;
    if (label && n.size() >= 2 && n[0] == '_' && n[1] == '_') return false;
    for (std::size_t i = 0; i < n.size(); ++i) {
        char c = n[i];
        bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (!label && c == ':');
        if (!alpha && !(i > 0 && c >= '0' && c <= '9')) return false;
    }
    return true;
}

std::string labels_text(const std::vector<std::string>& names, const std::vector<std::string>& values,
                        const std::string& extra = {}) {
    if (names.empty() && extra.empty()) return {};
    std::string out = "{";
    for (std::size_t i = 0; i < names.size(); ++i) {
        if (i) out += ',';
        out += names[i] + "=\"" + escape_label_value(values[i]) + "\"";
    }
    if (!extra.empty()) {
        if (!names.empty()) out += ',';
        out += extra;
    }
    return out + "}";
}

void header(std::string& out, const std::string& name, const std::string& help, std::string_view type) {
    out += "# HELP " + name + " " + escape_help(help) + "\n";
    out += "# TYPE " + name + " ";
    out += type;
    out += "\n";
}

}  // namespace

void gauge::add(double d) noexcept { add_double(v_, d); }

histogram::histogram(const std::vector<double>& bounds)
    : bounds_(bounds), buckets_(new std::atomic<std::uint64_t>[bounds.size() + 1]) {
    if (!std::is_sorted(bounds_.begin(), bounds_.end()) ||
        std::adjacent_find(bounds_.begin(), bounds_.end()) != bounds_.end())
        throw std::invalid_argument("histogram bounds must be strictly ascending");
    for (std::size_t i = 0; i <= bounds_.size(); ++i) buckets_[i].store(0);
}

void histogram::observe(double v) noexcept {
    std::size_t i = static_cast<std::size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), v) - bounds_.begin());
    buckets_[i].fetch_add(1, std::memory_order_relaxed);
    add_double(sum_, v);
    count_.fetch_add(1, std::memory_order_relaxed);
}

std::vector<std::uint64_t> histogram::cumulative() const {
    std::vector<std::uint64_t> out(bounds_.size() + 1);
    std::uint64_t run = 0;
    for (std::size_t i = 0; i <= bounds_.size(); ++i) out[i] = run += buckets_[i].load(std::memory_order_relaxed);
    return out;
}

const std::vector<double>& duration_buckets() {
    static const std::vector<double> b{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
                                       0.025,  0.05,    0.1,    0.25,  0.5,    1,     2.5, 5, 10};
    return b;
}

template <class Metric>
Metric& family<Metric>::with(const std::vector<std::string>& values) {
    if (values.size() != labels_.size())
        throw std::invalid_argument(name_ + ": expected " + std::to_string(labels_.size()) + " label values");
    std::lock_guard lk(mutex_);
    auto it = children_.find(values);
    if (it != children_.end()) return *it->second;
    std::unique_ptr<Metric> m;
    if constexpr (std::is_same_v<Metric, histogram>) m = std::make_unique<histogram>(bounds_);
    else m = std::make_unique<Metric>();
    return *children_.emplace(values, std::move(m)).first->second;
}

template class family<counter>;
template class family<gauge>;
template class family<histogram>;

void registry::check_new(const std::string& name, const std::vector<std::string>& labels) const {
    if (!valid_name(name, false)) throw std::invalid_argument("bad metric name: " + name);
    for (const auto& l : labels)
        if (!valid_name(l, true) || l == "le") throw std::invalid_argument("bad label name: " + l);
    for (const auto& e : order_)
        if (e.name == name) throw std::invalid_argument("metric registered twice: " + name);
}

family<counter>& registry::add_counter(std::string name, std::string help, std::vector<std::string> labels) {
    std::lock_guard lk(mutex_);
    check_new(name, labels);
    auto& f = counters_.emplace_back(name, std::move(help), std::move(labels));
    order_.push_back({kind::counter, name, &f, {}});
    return f;
}

family<gauge>& registry::add_gauge(std::string name, std::string help, std::vector<std::string> labels) {
    std::lock_guard lk(mutex_);
    check_new(name, labels);
    auto& f = gauges_.emplace_back(name, std::move(help), std::move(labels));
    order_.push_back({kind::gauge, name, &f, {}});
    return f;
}

family<histogram>& registry::add_histogram(std::string name, std::string help, std::vector<std::string> labels,
                                           std::vector<double> bounds) {
    std::lock_guard lk(mutex_);
    check_new(name, labels);
    histogram probe(bounds);  // checks the bounds now, not at first use
    auto& f = histograms_.emplace_back(name, std::move(help), std::move(labels), std::move(bounds));
    order_.push_back({kind::histogram, name, &f, {}});
    return f;
}

void registry::add_callback_gauge(std::string name, std::string help, std::function<double()> read) {
    std::lock_guard lk(mutex_);
    check_new(name, {});
    auto& f = gauges_.emplace_back(name, std::move(help), std::vector<std::string>{});
    order_.push_back({kind::gauge, name, &f, std::move(read)});
}

void registry::add_callback(kind k, std::string name, std::string help, std::vector<std::string> labels,
                            std::function<std::vector<sample>()> read) {
    if (k == kind::histogram) throw std::invalid_argument("callback histograms are not supported: " + name);
    std::lock_guard lk(mutex_);
    check_new(name, labels);
    order_.push_back({k, name, nullptr, {}, std::move(labels), std::move(read), std::move(help)});
}

void registry::add_histogram_view(std::string name, std::string help, const histogram& h) {
    std::lock_guard lk(mutex_);
    check_new(name, {});
    order_.push_back({kind::histogram, name, nullptr, {}, {}, {}, std::move(help), &h});
}

namespace {

void render_histogram(std::string& out, const std::string& name, const std::vector<std::string>& labels,
                      const std::vector<std::string>& values, const histogram& m) {
    const auto& bounds = m.bounds();
    auto cum = m.cumulative();
    for (std::size_t i = 0; i <= bounds.size(); ++i) {
        std::string le = i < bounds.size() ? format_value(bounds[i]) : "+Inf";
        out += name + "_bucket" + labels_text(labels, values, "le=\"" + le + "\"") + " " + std::to_string(cum[i]) + "\n";
    }
    out += name + "_sum" + labels_text(labels, values) + " " + format_value(m.sum()) + "\n";
    out += name + "_count" + labels_text(labels, values) + " " + std::to_string(cum.back()) + "\n";
}

}  // namespace

std::string registry::render() const {
    std::lock_guard lk(mutex_);
    std::string out;
    for (const auto& e : order_) {
        if (e.view) {
            header(out, e.name, e.help, "histogram");
            render_histogram(out, e.name, {}, {}, *e.view);
            continue;
        }
        if (e.samples) {
            header(out, e.name, e.help, e.k == kind::counter ? "counter" : "gauge");
            for (const auto& s : e.samples())
                if (s.values.size() == e.labels.size())
                    out += e.name + labels_text(e.labels, s.values) + " " + format_value(s.value) + "\n";
            continue;
        }
        if (e.k == kind::counter) {
            auto& f = *static_cast<family<counter>*>(e.fam);
            header(out, f.name_, f.help_, "counter");
            std::lock_guard fl(f.mutex_);
            for (const auto& [values, m] : f.children_)
                out += f.name_ + labels_text(f.labels_, values) + " " + std::to_string(m->value()) + "\n";
        } else if (e.k == kind::gauge) {
            auto& f = *static_cast<family<gauge>*>(e.fam);
            header(out, f.name_, f.help_, "gauge");
            if (e.read) {
                out += f.name_ + " " + format_value(e.read()) + "\n";
                continue;
            }
            std::lock_guard fl(f.mutex_);
            for (const auto& [values, m] : f.children_)
                out += f.name_ + labels_text(f.labels_, values) + " " + format_value(m->value()) + "\n";
        } else {
            auto& f = *static_cast<family<histogram>*>(e.fam);
            header(out, f.name_, f.help_, "histogram");
            std::lock_guard fl(f.mutex_);
            for (const auto& [values, m] : f.children_) render_histogram(out, f.name_, f.labels_, values, *m);
        }
    }
    return out;
}

std::string escape_label_value(std::string_view v) {
    std::string out;
    for (char c : v) {
        if (c == '\\') out += "\\\\";
        else if (c == '"') out += "\\\"";
        else if (c == '\n') out += "\\n";
        else out += c;
    }
    return out;
}

std::string escape_help(std::string_view v) {
    std::string out;
    for (char c : v) {
        if (c == '\\') out += "\\\\";
        else if (c == '\n') out += "\\n";
        else out += c;
    }
    return out;
}

std::string format_value(double v) {
    if (std::isnan(v)) return "NaN";
    if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
    std::string out;
    common::append_number(out, v);
    return out;
}

}  // namespace solgrid::common::metrics
