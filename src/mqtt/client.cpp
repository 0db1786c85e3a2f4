#include "mqtt/client.hpp"

#include <mosquitto.h>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>

namespace solgrid::mqtt {
namespace {

std::once_flag lib_once;

std::string why(int rc) {
    if (rc == MOSQ_ERR_ERRNO) return std::strerror(errno);
    return mosquitto_strerror(rc);
}

}  // namespace

client::client(options opts, handlers h) : opts_(std::move(opts)), handlers_(std::move(h)) {
    std::call_once(lib_once, [] { mosquitto_lib_init(); });
    mosq_ = mosquitto_new(opts_.client_id.empty() ? nullptr : opts_.client_id.c_str(), true, this);
    if (!mosq_) throw std::runtime_error("MQTT: libmosquitto could not create a client: " + why(MOSQ_ERR_ERRNO));
    mosquitto_threaded_set(mosq_, true);  // publish() from other threads only queues
    mosquitto_connect_callback_set(mosq_, &client::on_connect);
    mosquitto_disconnect_callback_set(mosq_, &client::on_disconnect);
    mosquitto_message_callback_set(mosq_, &client::on_message);
    auto fail = [this](const std::string& what, int rc) {
        mosquitto_destroy(mosq_);
        mosq_ = nullptr;
        throw std::runtime_error(what + ": " + why(rc));
    };
    if (!opts_.username.empty()) {
        int rc = mosquitto_username_pw_set(mosq_, opts_.username.c_str(),
                                           opts_.password.empty() ? nullptr : opts_.password.c_str());
        if (rc != MOSQ_ERR_SUCCESS) fail("MQTT_USERNAME", rc);
    }
    if (opts_.tls) {
        if (!opts_.ca_file.empty()) {
            std::FILE* f = std::fopen(opts_.ca_file.c_str(), "r");
            if (!f) fail("MQTT_CA_FILE '" + opts_.ca_file + "' cannot be read", MOSQ_ERR_ERRNO);
            std::fclose(f);
        }
        int rc = opts_.ca_file.empty() ? mosquitto_tls_set(mosq_, nullptr, "/etc/ssl/certs", nullptr, nullptr, nullptr)
                                       : mosquitto_tls_set(mosq_, opts_.ca_file.c_str(), nullptr, nullptr, nullptr, nullptr);
        if (rc != MOSQ_ERR_SUCCESS) fail("MQTT_CA_FILE '" + opts_.ca_file + "' cannot be used", rc);
    }
    if (!opts_.will_topic.empty()) {
        int rc = mosquitto_will_set(mosq_, opts_.will_topic.c_str(), static_cast<int>(opts_.will_payload.size()),
                                    opts_.will_payload.data(), 1, true);
        if (rc != MOSQ_ERR_SUCCESS) fail("MQTT last will", rc);
    }
}

client::~client() {
    stop();
    if (mosq_) mosquitto_destroy(mosq_);
}

void client::start() {
    if (thread_.joinable()) return;
    thread_ = std::thread([this] { run(); });
}

void client::stop(const std::string& last_topic, const std::string& last_payload) {
    if (!thread_.joinable()) return;
    if (connected_ && !last_topic.empty()) publish(last_topic, last_payload, 1, true);
    {
        std::lock_guard lock(wait_mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    mosquitto_disconnect(mosq_);  // queues DISCONNECT after the last publish; the loop flushes it
    thread_.join();
}

bool client::publish(const std::string& topic, std::string_view payload, int qos, bool retain) {
    // Offline, libmosquitto would keep QoS 1 messages without bound; the
    // owner republishes its retained state on every (re)connect instead.
    if (!connected_) return false;
    int rc = mosquitto_publish(mosq_, nullptr, topic.c_str(), static_cast<int>(payload.size()), payload.data(), qos, retain);
    return rc == MOSQ_ERR_SUCCESS;
}

void client::note(std::string state) {
    if (state == last_state_) return;
    last_state_ = std::move(state);
    if (last_state_ == "connected")
        spdlog::info("{}: connected to {} ({})", opts_.label, endpoint(), opts_.tls ? "mqtts" : "mqtt");
    else
        spdlog::warn("{}: {} ({}); retrying with backoff up to {} s", opts_.label, last_state_, endpoint(),
                     opts_.backoff_max.count() / 1000);
}

void client::run() {
    auto backoff = opts_.backoff_min;
    bool first = true;
    while (!stopping_) {
        ever_connected_ = false;
        int rc = first ? mosquitto_connect_async(mosq_, opts_.host.c_str(), opts_.port, opts_.keepalive_s)
                       : mosquitto_reconnect_async(mosq_);
        first = false;
        if (rc == MOSQ_ERR_SUCCESS) {
            while (!stopping_ && rc == MOSQ_ERR_SUCCESS) rc = mosquitto_loop(mosq_, 200, 1);
            if (stopping_) {
                // Flush what stop() queued (the last publish, DISCONNECT) for a moment.
                for (int i = 0; i < 5 && rc == MOSQ_ERR_SUCCESS; ++i) rc = mosquitto_loop(mosq_, 50, 1);
                break;
            }
        }
        connected_ = false;
        if (ever_connected_) {
            backoff = opts_.backoff_min;
            note("connection lost: " + why(rc));
        } else if (last_state_.rfind("broker refused", 0) != 0) {
            note("cannot connect: " + why(rc));
        }
        std::unique_lock lock(wait_mutex_);
        wake_.wait_for(lock, backoff, [this] { return stopping_.load(); });
        backoff = std::min(backoff * 2, opts_.backoff_max);
    }
    connected_ = false;
}

void client::on_connect(struct mosquitto* m, void* self, int rc) {
    auto* c = static_cast<client*>(self);
    if (rc != 0) {
        // Wrong password, not authorised, bad client id: the broker closes; we retry with backoff.
        c->note(std::string("broker refused the connection: ") + mosquitto_connack_string(rc));
        return;
    }
    c->ever_connected_ = true;
    for (const auto& topic : c->opts_.subscriptions) mosquitto_subscribe(m, nullptr, topic.c_str(), 1);
    c->connected_ = true;
    c->note("connected");
    if (c->handlers_.connected) c->handlers_.connected();
}

void client::on_disconnect(struct mosquitto*, void* self, int) { static_cast<client*>(self)->connected_ = false; }

void client::on_message(struct mosquitto*, void* self, const struct mosquitto_message* m) {
    auto* c = static_cast<client*>(self);
    if (!c->handlers_.message || !m->topic) return;
    std::string payload(static_cast<const char*>(m->payload), m->payload ? static_cast<std::size_t>(m->payloadlen) : 0);
    c->handlers_.message(m->topic, std::move(payload), m->retain);
}

}  // namespace solgrid::mqtt
