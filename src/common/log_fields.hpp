// Structured fields for the next log call on this thread (the access log's
// route, status, duration, client): set them with scoped_log_fields around a
// spdlog call, and the JSON formatter (app/logging.cpp) writes them as
// top-level keys; the text format ignores them (the message says it all).
// Thread: the calling thread only (spdlog formats on the caller's thread).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace solgrid::common {

struct log_field {
    std::string_view key;  // a literal: lowercase, no escaping needed
    std::string value;
    bool number = false;   // written bare (duration_ms, status), else as a JSON string
};

inline const std::vector<log_field>*& current_log_fields() {
    thread_local const std::vector<log_field>* fields = nullptr;
    return fields;
}

class scoped_log_fields {
public:
    explicit scoped_log_fields(const std::vector<log_field>& f) : saved_(current_log_fields()) {
        current_log_fields() = &f;
    }
    ~scoped_log_fields() { current_log_fields() = saved_; }
    scoped_log_fields(const scoped_log_fields&) = delete;
    scoped_log_fields& operator=(const scoped_log_fields&) = delete;

private:
    const std::vector<log_field>* saved_;
};

}  // namespace solgrid::common
