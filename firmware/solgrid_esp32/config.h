// Settings of the solgrid ESP32 firmware. Edit before flashing (see
// firmware/README.md). Everything the wiring or the site decides is here.
#pragma once

// --- network ---------------------------------------------------------------
#define WIFI_SSID "your-wifi"
#define WIFI_PASSWORD "your-password"
// The solgrid server (no trailing slash). Readings go to SERVER_URL/api/data/solar.
#define SERVER_URL "http://192.168.0.10:5000"
// The device token this board sends with every post (Authorization: Bearer),
// as `solgrid device add NAME` prints it on the server. Empty: no header; the
// server then accepts the posts only from its DEVICE_TRUSTED_NETWORKS.
// May also be given at build time: -DSOLGRID_DEVICE_TOKEN='"sgd_..."'.
#ifndef SOLGRID_DEVICE_TOKEN
#define SOLGRID_DEVICE_TOKEN ""
#endif
// The port this board serves GET /status and POST /relay on; the server's
// ARDUINO_URL is then http://<this board's IP>:DEVICE_PORT.
#define DEVICE_PORT 80

// --- timing ----------------------------------------------------------------
#define POST_INTERVAL_MS 2000UL      // the server's DEVICE_INTERVAL_S, in ms
#define HTTP_TIMEOUT_MS 2000         // one post to the server
// Relays all off when the server has not been heard from for this long
// (0 disables). The server's next reply restores the desired state.
#define BACKEND_WATCHDOG_MS 120000UL

// --- battery voltage (voltage divider into an ADC1 pin) ----------------------
#define PIN_BATTERY_ADC 34           // ADC1 only: ADC2 pins do not work while WiFi is on
#define DIVIDER_R_TOP_OHM 100000.0f  // battery + ── R_TOP ──┬── R_BOTTOM ── GND
#define DIVIDER_R_BOTTOM_OHM 22000.0f
#define BATTERY_CALIBRATION 1.000f   // multiply; set from a multimeter reading
// One of: lifepo4_4s, lead_acid_12v, liion_3s (firmware/.../battery.cpp).
#define BATTERY_CURVE solgrid_fw::lifepo4_4s

// --- solar current (INA219 on I2C) ------------------------------------------
#define PIN_I2C_SDA 21
#define PIN_I2C_SCL 22
#define INA219_ADDRESS 0x40

// --- light: BH1750 on the same I2C bus, or an LDR divider ---------------------
#define USE_BH1750 1                 // 0: read the LDR below instead
#define BH1750_ADDRESS 0x23
#define PIN_LDR_ADC 35               // 3V3 ── LDR ──┬── LDR_R_FIXED ── GND
#define LDR_R_FIXED_OHM 10000.0f
#define LDR_R10_OHM 15000.0f         // the LDR's resistance at 10 lx (datasheet)
#define LDR_GAMMA 0.7f

// --- relays (4-channel board) ----------------------------------------------
#define PIN_RELAY_A 26
#define PIN_RELAY_B 27
#define PIN_RELAY_C 25
#define PIN_RELAY_D 33
#define RELAY_ACTIVE_LOW 1           // most opto-isolated boards switch on a LOW input

// --- household meters (optional) --------------------------------------------
// 1: an INA219 on each household's feed (after its relay) measures its
// current and voltage; the board integrates them into cumulative Wh counters
// and adds "meter_wh":{"A":…,…} to every post, so the server debits metered
// consumption instead of estimating it from the SoC. 0 (default): the post
// carries no meter_wh. May also be given at build time: -DSOLGRID_METERS=1.
#ifndef SOLGRID_METERS
#define SOLGRID_METERS 0
#endif
// I2C addresses of the households' INA219s (A0/A1 jumpers; 0x40 is the solar one).
#define METER_INA219_A 0x41
#define METER_INA219_B 0x44
#define METER_INA219_C 0x45
#define METER_INA219_D 0x4C
#define METER_SAMPLE_MS 250UL        // how often the meters are read and integrated
#define METER_NOISE_FLOOR_A 0.02f    // currents below this count as nothing drawn

// --- MQTT (optional; docs/mqtt.md) ---------------------------------------------
// 1: readings go to the broker (solgrid/<MQTT_SITE>/<MQTT_DEVICE_NAME>/telemetry)
// instead of SERVER_URL, relay commands come from .../relay/set, the applied
// state goes to the retained .../relay/state, and the board's last will sets
// .../status to "offline". Needs the "PubSubClient" library (Nick O'Leary).
// May also be given at build time: -DSOLGRID_MQTT=1.
#ifndef SOLGRID_MQTT
#define SOLGRID_MQTT 0
#endif
#define MQTT_HOST "192.168.0.10"     // the broker solgrid's MQTT_URL points at
#define MQTT_PORT 1883
#define MQTT_USER ""                 // empty: anonymous
#define MQTT_PASSWORD ""
#define MQTT_SITE "default"          // the server's SITE_ID
#define MQTT_DEVICE_NAME "esp32-1"   // [A-Za-z0-9_-], unique per board
