#include "domain/rate_limit.hpp"

#include <algorithm>
#include <cmath>

namespace solgrid::domain {
namespace {

std::chrono::seconds ceil_seconds(double s) {
    return std::chrono::seconds(std::max<long long>(1, static_cast<long long>(std::ceil(s))));
}

}  // namespace

std::optional<std::chrono::seconds> token_buckets::take(const std::string& key, steady::time_point now) {
    std::lock_guard lock(mutex_);
    auto it = buckets_.find(key);
    if (it == buckets_.end()) {
        if (buckets_.size() >= max_keys_) prune_locked(now);
        it = buckets_.emplace(key, bucket{burst_, now}).first;
    }
    auto& b = it->second;
    double elapsed = std::chrono::duration<double>(now - b.at).count();
    if (elapsed > 0) {
        b.tokens = std::min(burst_, b.tokens + elapsed * rate_);
        b.at = now;
    }
    if (b.tokens >= 1.0) {
        b.tokens -= 1.0;
        return std::nullopt;
    }
    return ceil_seconds((1.0 - b.tokens) / rate_);
}

void token_buckets::prune_locked(steady::time_point now) {
    // Full buckets carry no information: forget them first.
    for (auto it = buckets_.begin(); it != buckets_.end();) {
        double elapsed = std::chrono::duration<double>(now - it->second.at).count();
        if (it->second.tokens + elapsed * rate_ >= burst_) it = buckets_.erase(it);
        else ++it;
    }
    while (buckets_.size() >= max_keys_) {
        auto oldest = std::min_element(buckets_.begin(), buckets_.end(),
                                       [](const auto& a, const auto& b) { return a.second.at < b.second.at; });
        buckets_.erase(oldest);
    }
}

void failure_window::expire_locked(std::deque<steady::time_point>& q, steady::time_point now) const {
    while (!q.empty() && now - q.front() >= window_) q.pop_front();
}

std::optional<std::chrono::seconds> failure_window::blocked(const std::string& key, steady::time_point now) {
    std::lock_guard lock(mutex_);
    auto it = failures_.find(key);
    if (it == failures_.end()) return std::nullopt;
    expire_locked(it->second, now);
    if (it->second.empty()) {
        failures_.erase(it);
        return std::nullopt;
    }
    if (static_cast<int>(it->second.size()) < max_) return std::nullopt;
    // Blocked until enough of them have left the window to allow one more.
    auto until = it->second[it->second.size() - static_cast<std::size_t>(max_)] + window_;
    return ceil_seconds(std::chrono::duration<double>(until - now).count());
}

void failure_window::fail(const std::string& key, steady::time_point now) {
    std::lock_guard lock(mutex_);
    if (failures_.size() >= max_keys_ && !failures_.count(key)) {
        for (auto it = failures_.begin(); it != failures_.end();) {
            expire_locked(it->second, now);
            it = it->second.empty() ? failures_.erase(it) : std::next(it);
        }
        if (failures_.size() >= max_keys_) failures_.erase(failures_.begin());
    }
    auto& q = failures_[key];
    expire_locked(q, now);
    q.push_back(now);
    // Only the newest `max_` matter for blocking.
    while (static_cast<int>(q.size()) > max_) q.pop_front();
}

void failure_window::clear(const std::string& key) {
    std::lock_guard lock(mutex_);
    failures_.erase(key);
}

}  // namespace solgrid::domain
