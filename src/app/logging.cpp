#include "app/logging.hpp"

#include "common/log_fields.hpp"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <mutex>
#include <stdexcept>

namespace solgrid::app {
namespace {

constexpr const char* text_pattern = "%Y-%m-%dT%H:%M:%S.%e%z %^%l%$ %v";

// Length of the valid UTF-8 sequence at s[i], or 0 if none starts there.
std::size_t utf8_sequence(std::string_view s, std::size_t i) {
    auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
    auto cont = [&](std::size_t k) { return i + k < s.size() && (b(k) & 0xC0) == 0x80; };
    unsigned char c = b(0);
    if (c >= 0xC2 && c <= 0xDF) return cont(1) ? 2 : 0;
    if (c >= 0xE0 && c <= 0xEF) {
        if (!cont(1) || !cont(2)) return 0;
        if (c == 0xE0 && b(1) < 0xA0) return 0;  // overlong
        if (c == 0xED && b(1) > 0x9F) return 0;  // surrogates
        return 3;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        if (!cont(1) || !cont(2) || !cont(3)) return 0;
        if (c == 0xF0 && b(1) < 0x90) return 0;  // overlong
        if (c == 0xF4 && b(1) > 0x8F) return 0;  // beyond U+10FFFF
        return 4;
    }
    return 0;
}

// -?digits(.digits)? — the numbers the code logs; anything else is quoted.
bool is_json_number(std::string_view v) {
    std::size_t i = 0;
    if (i < v.size() && v[i] == '-') ++i;
    auto digits = [&] {
        auto start = i;
        while (i < v.size() && v[i] >= '0' && v[i] <= '9') ++i;
        return i > start;
    };
    if (!digits()) return false;
    if (i < v.size() && v[i] == '.') {
        ++i;
        if (!digits()) return false;
    }
    return i == v.size();
}

void append_u00(std::string& out, unsigned char c) {
    static const char hex[] = "0123456789abcdef";
    out += "\\u00";
    out += hex[c >> 4];
    out += hex[c & 0xF];
}

class json_formatter final : public spdlog::formatter {
public:
    void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
        std::string line;
        line.reserve(msg.payload.size() + 96);
        auto since = msg.time.time_since_epoch();
        auto secs = std::chrono::duration_cast<std::chrono::seconds>(since);
        auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(since - secs).count();
        std::time_t t = secs.count();
        std::tm tm{};
        gmtime_r(&t, &tm);
        char stamp[64];
        std::snprintf(stamp, sizeof stamp, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                      tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
        line += R"({"time":")";
        line += stamp;
        line += R"(","level":")";
        auto level = spdlog::level::to_string_view(msg.level);
        line.append(level.data(), level.size());
        line += R"(","message":")";
        append_json_escaped(line, std::string_view(msg.payload.data(), msg.payload.size()));
        line += '"';
        if (const auto* fields = common::current_log_fields()) {
            for (const auto& f : *fields) {
                line += ",\"";
                append_json_escaped(line, f.key);
                line += "\":";
                if (f.number && is_json_number(f.value)) {
                    line += f.value;
                } else {
                    line += '"';
                    append_json_escaped(line, f.value);
                    line += '"';
                }
            }
        }
        line += "}\n";
        dest.append(line.data(), line.data() + line.size());
    }
    std::unique_ptr<spdlog::formatter> clone() const override { return std::make_unique<json_formatter>(); }
};

// Appends to a file; reopen() switches to a fresh file at the same path
// (logrotate renamed the old one). Writes are flushed line by line.
class reopenable_file_sink final : public spdlog::sinks::base_sink<std::mutex> {
public:
    explicit reopenable_file_sink(std::string path) : path_(std::move(path)) {
        file_ = open(path_);
        if (!file_)
            throw std::runtime_error("LOG_FILE: cannot open " + path_ + " for appending: " + std::strerror(errno));
    }
    ~reopenable_file_sink() override {
        if (file_) std::fclose(file_);
    }
    // Returns the error text, empty on success.
    std::string reopen() {
        std::lock_guard lock(mutex_);
        std::FILE* fresh = open(path_);
        if (!fresh) return std::strerror(errno);
        std::fclose(file_);
        file_ = fresh;
        return {};
    }
    const std::string& path() const { return path_; }

protected:
    void sink_it_(const spdlog::details::log_msg& msg) override {
        spdlog::memory_buf_t buf;
        formatter_->format(msg, buf);
        std::fwrite(buf.data(), 1, buf.size(), file_);
        std::fflush(file_);
    }
    void flush_() override { std::fflush(file_); }

private:
    static std::FILE* open(const std::string& path) { return std::fopen(path.c_str(), "ae"); }
    std::string path_;
    std::FILE* file_ = nullptr;
};

std::mutex file_sink_mutex;
std::shared_ptr<reopenable_file_sink> file_sink;  // set while LOG_FILE is in use

}  // namespace

void append_json_escaped(std::string& out, std::string_view s) {
    for (std::size_t i = 0; i < s.size();) {
        auto c = static_cast<unsigned char>(s[i]);
        if (c < 0x80) {
            switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            case '\b': out += "\\b"; break;
            case '\f': out += "\\f"; break;
            default:
                if (c < 0x20 || c == 0x7F) append_u00(out, c);
                else out += static_cast<char>(c);
            }
            ++i;
            continue;
        }
        if (auto n = utf8_sequence(s, i)) {
            out.append(s.data() + i, n);
            i += n;
        } else {
            append_u00(out, c);
            ++i;
        }
    }
}

std::unique_ptr<spdlog::formatter> make_json_formatter() { return std::make_unique<json_formatter>(); }

void setup_logging(const log_options& o) {
    spdlog::sink_ptr sink;
    std::shared_ptr<reopenable_file_sink> file;
    if (!o.file.empty()) sink = file = std::make_shared<reopenable_file_sink>(o.file);
    else sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
    if (o.json) sink->set_formatter(make_json_formatter());
    else sink->set_formatter(std::make_unique<spdlog::pattern_formatter>(text_pattern));
    auto logger = std::make_shared<spdlog::logger>("", sink);
    logger->set_level(spdlog::level::from_str(o.level));
    spdlog::set_default_logger(logger);
    std::lock_guard lock(file_sink_mutex);
    file_sink = std::move(file);
}

void setup_logging(const std::string& level) {
    spdlog::set_level(spdlog::level::from_str(level));
    spdlog::set_pattern(text_pattern);
}

bool reopen_log_file() {
    std::shared_ptr<reopenable_file_sink> sink;
    {
        std::lock_guard lock(file_sink_mutex);
        sink = file_sink;
    }
    if (!sink) return false;
    auto error = sink->reopen();
    if (!error.empty()) {
        spdlog::error("LOG_FILE: cannot reopen {}: {}; still writing to the old file", sink->path(), error);
        return false;
    }
    spdlog::info("LOG_FILE: reopened {}", sink->path());
    return true;
}

}  // namespace solgrid::app
