// solgrid ESP32 firmware: measures the community battery (voltage → SoC),
// the solar current (INA219) and the light (BH1750 or an LDR), posts them to
// the solgrid server every POST_INTERVAL_MS, switches the four household
// relays, and serves the device API the server calls:
//   GET  /status  this board's own report
//   POST /relay   {"A":true,"B":false,...,"version":N}
// The desired relay state also comes back in every post's reply, so the
// board converges even when the server cannot reach it (NAT). A watchdog
// turns every relay off when the server has been silent too long.
//
// Built with SOLGRID_MQTT 1 it speaks MQTT instead of posting (docs/mqtt.md):
// readings to solgrid/<site>/<device>/telemetry, commands from .../relay/set,
// the applied state to the retained .../relay/state, and a last will that
// sets .../status to "offline". The watchdog then listens to solgrid's own
// retained solgrid/<site>/server/status.
//
// The logic lives in src/solgrid_fw/ (portable C++, tested on a PC by
// `make test`); this file is only the hardware and network glue.
// Libraries: "Adafruit INA219" and "BH1750" (by Christopher Laws).

#include <HTTPClient.h>
#include <WebServer.h>
#include <WiFi.h>
#include <Wire.h>

#include <Adafruit_INA219.h>
#include <BH1750.h>

#include "config.h"
#include "src/solgrid_fw/battery.h"
#include "src/solgrid_fw/meters.h"
#include "src/solgrid_fw/protocol.h"
#include "src/solgrid_fw/watchdog.h"
#if SOLGRID_MQTT
#include <PubSubClient.h>

#include "src/solgrid_fw/mqtt_link.h"
#endif

using namespace solgrid_fw;

static const uint8_t relay_pins[household_count] = {PIN_RELAY_A, PIN_RELAY_B, PIN_RELAY_C, PIN_RELAY_D};

static WebServer server(DEVICE_PORT);
static Adafruit_INA219 ina219(INA219_ADDRESS);
static BH1750 light_meter(BH1750_ADDRESS);
static bool ina219_ok = false;
static bool bh1750_ok = false;

static relay_set relays;             // what the pins are set to
static int64_t applied_version = 0;  // the newest command applied
static backend_watchdog watchdog(BACKEND_WATCHDOG_MS);
static ema_filter battery_filter(0.2f);
static reading last_reading;
static float last_battery_v = 0.0f;
static uint32_t posts_ok = 0, posts_failed = 0;
static uint32_t last_post_ms = 0;

#if SOLGRID_METERS
// One INA219 per household feed; their power is integrated into Wh counters.
static Adafruit_INA219 meter_ina[household_count] = {
    Adafruit_INA219(METER_INA219_A), Adafruit_INA219(METER_INA219_B), Adafruit_INA219(METER_INA219_C),
    Adafruit_INA219(METER_INA219_D)};
static bool meter_ok[household_count] = {false, false, false, false};
static energy_meters meters(5000, METER_NOISE_FLOOR_A);
static uint32_t last_meter_ms = 0;

static void sample_meters() {
    float volts[household_count], amps[household_count];
    for (int i = 0; i < household_count; ++i) {
        volts[i] = meter_ok[i] ? meter_ina[i].getBusVoltage_V() : 0.0f;
        amps[i] = meter_ok[i] ? meter_ina[i].getCurrent_mA() / 1000.0f : 0.0f;
    }
    meters.sample(millis(), volts, amps, relays);
}
#endif

static char json_buf[512];
// "Bearer <SOLGRID_DEVICE_TOKEN>", built once at boot; empty: no header.
static char auth_buf[max_device_token + 8];
static int auth_len = 0;
static bool refusal_logged = false;  // a 401/403/429 is said once, not every post

#if SOLGRID_MQTT
static WiFiClient mqtt_socket;
static PubSubClient mqtt_client(mqtt_socket);

// mqtt_link's transport: PubSubClient's own calls.
struct pubsub_transport : mqtt_transport {
    bool connect(const char* id, const char* user, const char* password, const char* will_topic, uint8_t will_qos,
                 bool will_retain, const char* will_message) override {
        return mqtt_client.connect(id, user, password, will_topic, will_qos, will_retain, will_message);
    }
    bool connected() override { return mqtt_client.connected(); }
    bool publish(const char* topic, const char* payload, bool retained) override {
        return mqtt_client.publish(topic, payload, retained);
    }
    bool subscribe(const char* topic, uint8_t qos) override { return mqtt_client.subscribe(topic, qos); }
};
static pubsub_transport mqtt_glue;
static mqtt_link mqtt_board(mqtt_glue, MQTT_SITE, MQTT_DEVICE_NAME, MQTT_USER, MQTT_PASSWORD);
static uint32_t mqtt_last_try_ms = 0;
static uint32_t mqtt_retry_ms = 1000;  // doubles up to a minute while the broker is away
static bool mqtt_was_connected = false;
#endif

static void write_relays() {
    for (int i = 0; i < household_count; ++i) {
        bool level = RELAY_ACTIVE_LOW ? !relays.on[i] : relays.on[i];
        digitalWrite(relay_pins[i], level ? HIGH : LOW);
    }
}

// Applies a command unless it is older than the one applied last.
static bool apply(const relay_command& cmd, const char* via) {
    if (!should_apply(cmd, applied_version)) return false;
    bool changed = memcmp(relays.on, cmd.state.on, sizeof relays.on) != 0;
#if SOLGRID_METERS
    if (changed) sample_meters();  // close the interval with the old relay state
#endif
    relays = cmd.state;
    if (cmd.has_version) applied_version = cmd.version;
    if (changed) {
        write_relays();
        Serial.printf("relays A=%d B=%d C=%d D=%d (from %s)\n", relays.on[0], relays.on[1], relays.on[2],
                      relays.on[3], via);
    }
    return true;
}

static reading measure() {
    reading r;
    // analogReadMilliVolts() uses the chip's ADC calibration.
    float pin_v = analogReadMilliVolts(PIN_BATTERY_ADC) / 1000.0f;
    float pack_v = divider_to_pack_volts(pin_v, DIVIDER_R_TOP_OHM, DIVIDER_R_BOTTOM_OHM) * BATTERY_CALIBRATION;
    last_battery_v = battery_filter.update(pack_v);
    r.soc = soc_percent(soc_from_voltage(BATTERY_CURVE, last_battery_v));

    if (ina219_ok) {
        float mw = ina219.getPower_mW();
        r.solar_w = mw > 0 ? mw / 1000.0f : 0.0f;
    }
#if USE_BH1750
    if (bh1750_ok) {
        float lux = light_meter.readLightLevel();
        r.lux = lux > 0 ? lux : 0.0f;
    }
#else
    float ldr_v = analogReadMilliVolts(PIN_LDR_ADC) / 1000.0f;
    r.lux = ldr_lux(ldr_v, 3.3f, LDR_R_FIXED_OHM, LDR_R10_OHM, LDR_GAMMA);
#endif
    return r;
}

static void post_reading() {
    last_reading = measure();
#if SOLGRID_METERS
    // A household whose meter was not found is left out (NAN): the server estimates it.
    double counters[household_count];
    for (int i = 0; i < household_count; ++i) counters[i] = meter_ok[i] ? meters.wh(i) : NAN;
    const double* meter_wh = counters;
#else
    const double* meter_wh = nullptr;
#endif
#if SOLGRID_MQTT
    if (mqtt_board.publish_reading(last_reading, relays, applied_version, meter_wh)) ++posts_ok;
    else ++posts_failed;
    return;
#endif
    int n = build_reading_json(json_buf, sizeof json_buf, last_reading, relays, applied_version, meter_wh);
    if (n < 0 || WiFi.status() != WL_CONNECTED) {
        ++posts_failed;
        return;
    }
    HTTPClient http;
    http.setConnectTimeout(HTTP_TIMEOUT_MS);
    http.setTimeout(HTTP_TIMEOUT_MS);
    http.begin(SERVER_URL "/api/data/solar");
    http.addHeader("Content-Type", "application/json");
    if (auth_len > 0) http.addHeader("Authorization", auth_buf);
    int status = http.POST(reinterpret_cast<uint8_t*>(json_buf), static_cast<size_t>(n));
    if (status >= 200 && status < 300) {
        ++posts_ok;
        refusal_logged = false;
        watchdog.heard(millis());
        String body = http.getString();
        relay_command desired;
        if (parse_desired_from_reply(body.c_str(), body.length(), desired)) apply(desired, "post reply");
    } else if (status == 401 || status == 403 || status == 429) {
        ++posts_failed;
        if (!refusal_logged)
            Serial.printf("the server refused the device token: HTTP %d %s (check SOLGRID_DEVICE_TOKEN)\n", status,
                          http.getString().c_str());
        refusal_logged = true;  // retried every POST_INTERVAL_MS as usual
    } else {
        ++posts_failed;
        Serial.printf("post failed: %d %s\n", status, status < 0 ? http.errorToString(status).c_str() : "");
    }
    http.end();
}

static void handle_status() {
    device_report d;
    d.uptime_s = millis() / 1000;
    d.last = last_reading;
    d.battery_v = last_battery_v;
    d.relays = relays;
    d.relay_version = applied_version;
    d.wifi_rssi = WiFi.RSSI();
    d.watchdog_tripped = watchdog.tripped();
    d.backend_silent_s = watchdog.silent_ms(millis()) / 1000;
    d.posts_ok = posts_ok;
    d.posts_failed = posts_failed;
    int n = build_status_json(json_buf, sizeof json_buf, d);
    if (n < 0) return server.send(500, "application/json", "{\"success\":false,\"error\":\"status too large\"}");
    server.send(200, "application/json", json_buf);
}

static void handle_relay() {
    String body = server.arg("plain");
    relay_command cmd;
    const char* problem = "";
    if (parse_relay_command(body.c_str(), body.length(), relays, cmd, &problem) != command_error::none) {
        snprintf(json_buf, sizeof json_buf, "{\"success\":false,\"error\":\"%s\"}", problem);
        return server.send(400, "application/json", json_buf);
    }
    watchdog.heard(millis());
    bool applied = apply(cmd, "POST /relay");
    build_relay_reply_json(json_buf, sizeof json_buf, applied, relays, applied_version);
    server.send(200, "application/json", json_buf);
}

#if SOLGRID_MQTT
static void on_mqtt_message(char* topic, uint8_t* payload, unsigned int len) {
    relay_command cmd;
    const char* problem = "";
    switch (mqtt_board.on_message(topic, payload, len, relays, cmd, &problem)) {
        case mqtt_link::message::command:
            watchdog.heard(millis());
            apply(cmd, "MQTT relay/set");
            mqtt_board.publish_relay_state(relays, applied_version);
            break;
        case mqtt_link::message::bad_command: Serial.printf("MQTT relay/set refused: %s\n", problem); break;
        default: break;
    }
}

// Connects with backoff, runs PubSubClient, and feeds the watchdog while solgrid says it is online.
static void mqtt_service() {
    uint32_t now = millis();
    if (!mqtt_client.connected()) {
        if (mqtt_was_connected) Serial.println("MQTT connection lost");
        mqtt_was_connected = false;
        if (WiFi.status() == WL_CONNECTED && now - mqtt_last_try_ms >= mqtt_retry_ms) {
            mqtt_last_try_ms = now;
            if (mqtt_board.ensure_connected(relays, applied_version)) {
                Serial.printf("MQTT connected to %s:%d as %s\n", MQTT_HOST, MQTT_PORT, MQTT_DEVICE_NAME);
                mqtt_was_connected = true;
                mqtt_retry_ms = 1000;
            } else {
                mqtt_retry_ms = mqtt_retry_ms < 30000 ? mqtt_retry_ms * 2 : 60000;
            }
        }
    }
    mqtt_client.loop();
    if (mqtt_board.server_online()) watchdog.heard(now);
}
#endif

void setup() {
    Serial.begin(115200);
    auth_len = build_authorization(auth_buf, sizeof auth_buf, SOLGRID_DEVICE_TOKEN);
    if (auth_len < 0) {
        Serial.println("SOLGRID_DEVICE_TOKEN is not a valid token (letters, digits, - . _ ~ + /): posting without it");
        auth_len = 0;
    }
    for (int i = 0; i < household_count; ++i) pinMode(relay_pins[i], OUTPUT);
    write_relays();  // all off until the server says otherwise

    analogSetPinAttenuation(PIN_BATTERY_ADC, ADC_11db);  // 0..~3.1 V
#if !USE_BH1750
    analogSetPinAttenuation(PIN_LDR_ADC, ADC_11db);
#endif
    Wire.begin(PIN_I2C_SDA, PIN_I2C_SCL);
    ina219_ok = ina219.begin();
    if (!ina219_ok) Serial.println("INA219 not found: solar_w will read 0");
#if USE_BH1750
    bh1750_ok = light_meter.begin(BH1750::CONTINUOUS_HIGH_RES_MODE);
    if (!bh1750_ok) Serial.println("BH1750 not found: lux will read 0");
#endif
#if SOLGRID_METERS
    for (int i = 0; i < household_count; ++i) {
        meter_ok[i] = meter_ina[i].begin();
        if (!meter_ok[i]) Serial.printf("meter INA219 of household %c not found: left out of meter_wh\n", 'A' + i);
    }
    sample_meters();  // starts the meters' clock
#endif

    WiFi.mode(WIFI_STA);
    WiFi.setAutoReconnect(true);
    WiFi.begin(WIFI_SSID, WIFI_PASSWORD);
    Serial.print("WiFi");
    for (int i = 0; i < 40 && WiFi.status() != WL_CONNECTED; ++i) {
        delay(250);
        Serial.print('.');
    }
    Serial.printf("\nIP %s; set ARDUINO_URL=http://%s:%d on the server\n", WiFi.localIP().toString().c_str(),
                  WiFi.localIP().toString().c_str(), DEVICE_PORT);

    server.on("/status", HTTP_GET, handle_status);
    server.on("/relay", HTTP_POST, handle_relay);
    server.onNotFound([] { server.send(404, "application/json", "{\"success\":false,\"error\":\"no route\"}"); });
    server.begin();
#if SOLGRID_MQTT
    if (!mqtt_board.valid()) Serial.println("MQTT_SITE / MQTT_DEVICE_NAME must be [A-Za-z0-9_-]: MQTT is off");
    mqtt_client.setServer(MQTT_HOST, MQTT_PORT);
    mqtt_client.setBufferSize(768);  // a reading with meter_wh is longer than PubSubClient's default 256
    mqtt_client.setCallback(on_mqtt_message);
#endif
    watchdog.start(millis());
}

void loop() {
    server.handleClient();
#if SOLGRID_MQTT
    mqtt_service();
#endif
    uint32_t now = millis();
    if (now - last_post_ms >= POST_INTERVAL_MS) {
        last_post_ms = now;
        post_reading();
    }
#if SOLGRID_METERS
    if (now - last_meter_ms >= METER_SAMPLE_MS) {
        last_meter_ms = now;
        sample_meters();
    }
#endif
    if (watchdog.should_trip(millis())) {
        Serial.println("server silent too long: all relays off");
#if SOLGRID_METERS
        sample_meters();
#endif
        relays = relay_set{};
        write_relays();
    }
    delay(2);
}
