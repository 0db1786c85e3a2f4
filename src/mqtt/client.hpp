// One connection to an MQTT broker through Debian's libmosquitto, driven on
// a thread of its own (never an io_context thread): connect, subscribe on
// every (re)connect, reconnect with exponential backoff, and log each change
// of connection state once. Callbacks run on that thread and must only copy
// and post. publish() may be called from any thread and never waits on the
// network (libmosquitto only queues it and wakes its thread). The
// constructor throws std::runtime_error when libmosquitto refuses the
// options (an unreadable MQTT_CA_FILE); broker trouble is only ever logged.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

struct mosquitto;
struct mosquitto_message;

namespace solgrid::mqtt {

class client {
public:
    struct options {
        std::string host;
        int port = 1883;
        bool tls = false;
        std::string ca_file;  // tls: empty = the system CAs (/etc/ssl/certs)
        std::string username;
        std::string password;
        std::string client_id;
        int keepalive_s = 30;
        std::string will_topic;  // retained, QoS 1, sent by the broker if we vanish
        std::string will_payload;
        std::vector<std::string> subscriptions;  // QoS 1
        std::chrono::milliseconds backoff_min{500};
        std::chrono::milliseconds backoff_max{30000};
        std::string label = "MQTT";  // log prefix
    };
    struct handlers {
        std::function<void()> connected;  // after CONNACK accepted and the subscriptions are queued
        std::function<void(std::string topic, std::string payload, bool retained)> message;
    };

    client(options opts, handlers h);
    ~client();
    client(const client&) = delete;
    client& operator=(const client&) = delete;

    void start();
    // Queues `last` (topic, payload, retained) if connected, disconnects and
    // joins the thread (within about half a second).
    void stop(const std::string& last_topic = {}, const std::string& last_payload = {});

    // False if libmosquitto refused to queue it (e.g. QoS 0 while offline).
    bool publish(const std::string& topic, std::string_view payload, int qos, bool retain);
    bool connected() const { return connected_; }
    std::string endpoint() const { return opts_.host + ":" + std::to_string(opts_.port); }

private:
    void run();
    void note(std::string state);
    static void on_connect(struct mosquitto*, void* self, int rc);
    static void on_disconnect(struct mosquitto*, void* self, int rc);
    static void on_message(struct mosquitto*, void* self, const struct mosquitto_message* m);

    options opts_;
    handlers handlers_;
    struct mosquitto* mosq_ = nullptr;
    std::thread thread_;
    std::atomic<bool> stopping_{false};
    std::atomic<bool> connected_{false};
    bool ever_connected_ = false;  // this attempt reached CONNACK (loop thread only)
    std::mutex wait_mutex_;
    std::condition_variable wake_;
    std::string last_state_;  // loop thread only: the state last logged
};

}  // namespace solgrid::mqtt
