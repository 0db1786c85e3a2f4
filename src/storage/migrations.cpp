#include "storage/migrations.hpp"

#include <soci/soci.h>
#include <spdlog/spdlog.h>

#include <stdexcept>
#include <string>
#include <vector>

namespace solgrid::storage {
namespace {

// Step N brings the schema from version N-1 to N. Append, never edit.
const std::vector<std::vector<std::string>>& steps(dialect d) {
    static const std::vector<std::vector<std::string>> sqlite = {
        {
            "CREATE TABLE IF NOT EXISTS sun_data_realtime ("
            " id INTEGER PRIMARY KEY AUTOINCREMENT,"
            " soc INTEGER NOT NULL CHECK (soc BETWEEN 0 AND 100),"
            " solar_w REAL NOT NULL CHECK (solar_w >= 0),"
            " lux REAL NOT NULL CHECK (lux >= 0),"
            " created_at TEXT NOT NULL)",
            "CREATE INDEX IF NOT EXISTS idx_sun_data_realtime_created ON sun_data_realtime (created_at)",
            "CREATE TABLE IF NOT EXISTS relay_status ("
            " id INTEGER PRIMARY KEY AUTOINCREMENT,"
            " A INTEGER NOT NULL, B INTEGER NOT NULL, C INTEGER NOT NULL, D INTEGER NOT NULL,"
            " source TEXT NOT NULL DEFAULT 'api',"
            " created_at TEXT NOT NULL)",
            "CREATE TABLE IF NOT EXISTS trade_history ("
            " id INTEGER PRIMARY KEY AUTOINCREMENT,"
            " buyer TEXT NOT NULL, seller TEXT NOT NULL,"
            " energy_wh REAL NOT NULL CHECK (energy_wh > 0),"
            " price_per_kwh REAL NOT NULL CHECK (price_per_kwh >= 0),"
            " total_price REAL NOT NULL,"
            " created_at TEXT NOT NULL)",
        },
        {
            // The hourly roll-up (aggregate_old_data); the hour is the key, so
            // no hour is ever rolled up twice, whoever runs the job.
            "CREATE TABLE IF NOT EXISTS sun_data_hourly ("
            " hour_start TEXT PRIMARY KEY,"
            " samples INTEGER NOT NULL CHECK (samples > 0),"
            " soc_avg REAL NOT NULL, soc_min INTEGER NOT NULL, soc_max INTEGER NOT NULL,"
            " solar_w_avg REAL NOT NULL, solar_w_max REAL NOT NULL, solar_wh REAL NOT NULL,"
            " lux_avg REAL NOT NULL, lux_max REAL NOT NULL,"
            " created_at TEXT NOT NULL)",
        },
        {
            // Seconds of the hour covered by bridged segments (issue 11 A8).
            // Hours rolled up before this step keep NULL: unknown, since
            // their raw readings may be gone.
            "ALTER TABLE sun_data_hourly ADD COLUMN coverage_s REAL"
            " CHECK (coverage_s IS NULL OR (coverage_s >= 0 AND coverage_s <= 3600))",
        },
        {
            // Access control (issue 12): users, browser sessions, Bearer
            // tokens, the audit log. Every statement is idempotent. Names are
            // compared exactly (case-sensitive) in both dialects.
            "CREATE TABLE IF NOT EXISTS users ("
            " id INTEGER PRIMARY KEY AUTOINCREMENT,"
            " username TEXT NOT NULL UNIQUE CHECK (length(username) BETWEEN 1 AND 64),"
            " role TEXT NOT NULL CHECK (role IN ('admin', 'operator', 'household', 'viewer')),"
            " household CHAR(1) NULL CHECK (household IS NULL OR household IN ('A', 'B', 'C', 'D')),"
            " password_hash TEXT NOT NULL,"
            " created_at TEXT NOT NULL,"
            " CHECK ((role = 'household') = (household IS NOT NULL)))",
            "CREATE TABLE IF NOT EXISTS auth_sessions ("
            " token_hash CHAR(64) PRIMARY KEY"
            "  CHECK (length(token_hash) = 64 AND token_hash NOT GLOB '*[^0-9a-f]*'),"
            " user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,"
            " created_at TEXT NOT NULL,"
            " expires_at TEXT NOT NULL)",
            "CREATE INDEX IF NOT EXISTS idx_auth_sessions_expires ON auth_sessions (expires_at)",
            "CREATE INDEX IF NOT EXISTS idx_auth_sessions_user ON auth_sessions (user_id)",
            // active_name is name while the token is active and NULL once
            // revoked: UNIQUE (kind, active_name) allows one active token per
            // name in both dialects (NULLs never collide; MySQL has no
            // partial index).
            "CREATE TABLE IF NOT EXISTS api_tokens ("
            " id INTEGER PRIMARY KEY AUTOINCREMENT,"
            " kind TEXT NOT NULL CHECK (kind IN ('device', 'user')),"
            " name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 64),"
            " token_hash CHAR(64) NOT NULL UNIQUE"
            "  CHECK (length(token_hash) = 64 AND token_hash NOT GLOB '*[^0-9a-f]*'),"
            " user_id INTEGER NULL REFERENCES users (id) ON DELETE SET NULL,"
            " created_at TEXT NOT NULL,"
            " last_used_at TEXT NULL,"
            " revoked_at TEXT NULL,"
            " active_name TEXT NULL,"
            " UNIQUE (kind, active_name),"
            " CHECK ((revoked_at IS NULL AND active_name = name) OR (revoked_at IS NOT NULL AND active_name IS NULL)))",
            "CREATE INDEX IF NOT EXISTS idx_api_tokens_user ON api_tokens (user_id)",
            "CREATE TABLE IF NOT EXISTS audit_log ("
            " id INTEGER PRIMARY KEY AUTOINCREMENT,"
            " at TEXT NOT NULL,"
            " actor TEXT NOT NULL,"
            " address TEXT NOT NULL,"
            " action TEXT NOT NULL,"
            " target TEXT NOT NULL,"
            " outcome TEXT NOT NULL,"
            " detail TEXT NOT NULL)",
            "CREATE INDEX IF NOT EXISTS idx_audit_log_at ON audit_log (at)",
        },
        {
            // The market's ledger (issue 13; docs/market.md "Ledger"): one
            // row per entry, its postings in a child table, running balances
            // per account. Ids are given by the appender (id = head + 1, in
            // the chained bytes), so the primary key refuses a forked chain.
            "CREATE TABLE IF NOT EXISTS ledger_entries ("
            " id INTEGER PRIMARY KEY CHECK (id > 0),"
            " at TEXT NOT NULL,"
            " kind TEXT NOT NULL CHECK (kind IN ('solar_credit', 'consumption_debit', 'trade', 'adjustment')),"
            " reference TEXT NOT NULL CHECK (length(reference) <= 256),"
            " estimated INTEGER NOT NULL CHECK (estimated IN (0, 1)),"
            " prev_hash CHAR(64) NOT NULL CHECK (length(prev_hash) = 64),"
            " hash CHAR(64) NOT NULL UNIQUE CHECK (length(hash) = 64))",
            "CREATE INDEX IF NOT EXISTS idx_ledger_entries_at ON ledger_entries (at)",
            "CREATE TABLE IF NOT EXISTS ledger_postings ("
            " entry_id INTEGER NOT NULL REFERENCES ledger_entries (id),"
            " account TEXT NOT NULL CHECK (length(account) BETWEEN 1 AND 16),"
            " energy_wh INTEGER NOT NULL,"
            " money INTEGER NOT NULL,"
            " PRIMARY KEY (entry_id, account))",
            "CREATE INDEX IF NOT EXISTS idx_ledger_postings_account ON ledger_postings (account)",
            "CREATE TABLE IF NOT EXISTS market_accounts ("
            " account TEXT PRIMARY KEY CHECK (length(account) BETWEEN 1 AND 16),"
            " energy_wh INTEGER NOT NULL,"
            " money INTEGER NOT NULL)",
        },
        {
            // The market's orders (issue 13; docs/market.md "The market
            // service"): one row per order with its fill state; the open
            // ones are the book a restart rebuilds. Ids are given by the
            // market in time order. Trades reference their orders.
            "CREATE TABLE IF NOT EXISTS market_orders ("
            " id INTEGER PRIMARY KEY CHECK (id > 0),"
            " household TEXT NOT NULL CHECK (household IN ('A', 'B', 'C', 'D', 'pool')),"
            " side TEXT NOT NULL CHECK (side IN ('buy', 'sell')),"
            " energy_wh INTEGER NOT NULL CHECK (energy_wh > 0),"
            " filled_wh INTEGER NOT NULL CHECK (filled_wh >= 0 AND filled_wh <= energy_wh),"
            " price INTEGER NOT NULL CHECK (price >= 0),"
            " tif TEXT NOT NULL CHECK (tif IN ('gtc', 'ioc')),"
            " status TEXT NOT NULL CHECK (status IN ('open', 'filled', 'cancelled', 'expired')),"
            " reason TEXT NOT NULL,"
            " expires_at TEXT NULL,"
            " created_at TEXT NOT NULL,"
            " updated_at TEXT NOT NULL)",
            "CREATE INDEX IF NOT EXISTS idx_market_orders_status ON market_orders (status, id)",
            "CREATE INDEX IF NOT EXISTS idx_market_orders_household ON market_orders (household, id)",
            "ALTER TABLE trade_history ADD COLUMN buy_order_id INTEGER NULL",
            "ALTER TABLE trade_history ADD COLUMN sell_order_id INTEGER NULL",
            "CREATE INDEX IF NOT EXISTS idx_trade_history_created ON trade_history (created_at)",
        },
        {
            // Leases for work that runs on one instance at a time (issue 15;
            // storage/sql_lease_store.hpp, docs/run-once.md): who holds the
            // lease `name` and until when, by the database's clock.
            "CREATE TABLE IF NOT EXISTS leases ("
            " name TEXT PRIMARY KEY CHECK (length(name) BETWEEN 1 AND 64),"
            " holder TEXT NOT NULL CHECK (length(holder) <= 128),"
            " expires_at TEXT NOT NULL)",
        },
        {
            // The market's version (issue 15; docs/market.md "Several
            // instances"): every market commit moves it by one, guarded by the
            // version its instance last read, so a commit computed from a stale
            // book fails instead of matching twice. With it, the newest reading
            // the market settled (time in ms since the epoch), where the next
            // reading's interval starts, whichever instance stores it.
            "CREATE TABLE IF NOT EXISTS market_version ("
            " id INTEGER PRIMARY KEY CHECK (id = 1),"
            " version INTEGER NOT NULL CHECK (version >= 0),"
            " settled_at INTEGER NULL,"
            " settled_soc INTEGER NULL,"
            " settled_solar_w REAL NULL,"
            " settled_lux REAL NULL,"
            " settled_meter_a REAL NULL, settled_meter_b REAL NULL, settled_meter_c REAL NULL, settled_meter_d REAL NULL)",
            "INSERT OR IGNORE INTO market_version (id, version) VALUES (1, 0)",
        },
    };
    static const std::vector<std::vector<std::string>> mysql = {
        {
            "CREATE TABLE IF NOT EXISTS sun_data_realtime ("
            " id BIGINT AUTO_INCREMENT PRIMARY KEY,"
            " soc INT NOT NULL,"
            " solar_w DOUBLE NOT NULL,"
            " lux DOUBLE NOT NULL,"
            " created_at DATETIME(3) NOT NULL,"
            " INDEX idx_sun_data_realtime_created (created_at)) ENGINE=InnoDB",
            "CREATE TABLE IF NOT EXISTS relay_status ("
            " id BIGINT AUTO_INCREMENT PRIMARY KEY,"
            " A TINYINT(1) NOT NULL, B TINYINT(1) NOT NULL, C TINYINT(1) NOT NULL, D TINYINT(1) NOT NULL,"
            " source VARCHAR(32) NOT NULL DEFAULT 'api',"
            " created_at DATETIME(3) NOT NULL) ENGINE=InnoDB",
            "CREATE TABLE IF NOT EXISTS trade_history ("
            " id BIGINT AUTO_INCREMENT PRIMARY KEY,"
            " buyer VARCHAR(32) NOT NULL, seller VARCHAR(32) NOT NULL,"
            " energy_wh DOUBLE NOT NULL,"
            " price_per_kwh DOUBLE NOT NULL,"
            " total_price DOUBLE NOT NULL,"
            " created_at DATETIME(3) NOT NULL) ENGINE=InnoDB",
        },
        {
            "CREATE TABLE IF NOT EXISTS sun_data_hourly ("
            " hour_start DATETIME(3) NOT NULL PRIMARY KEY,"
            " samples INT NOT NULL,"
            " soc_avg DOUBLE NOT NULL, soc_min INT NOT NULL, soc_max INT NOT NULL,"
            " solar_w_avg DOUBLE NOT NULL, solar_w_max DOUBLE NOT NULL, solar_wh DOUBLE NOT NULL,"
            " lux_avg DOUBLE NOT NULL, lux_max DOUBLE NOT NULL,"
            " created_at DATETIME(3) NOT NULL,"
            " CONSTRAINT chk_hourly_samples CHECK (samples > 0)) ENGINE=InnoDB",
            // The same last line of defence as SQLite's CHECKs (MariaDB 10.2+
            // and MySQL 8.0.16+ enforce them; older servers accept and ignore).
            "ALTER TABLE sun_data_realtime"
            " ADD CONSTRAINT chk_realtime_soc CHECK (soc BETWEEN 0 AND 100),"
            " ADD CONSTRAINT chk_realtime_solar_w CHECK (solar_w >= 0),"
            " ADD CONSTRAINT chk_realtime_lux CHECK (lux >= 0)",
            "ALTER TABLE trade_history"
            " ADD CONSTRAINT chk_trade_energy CHECK (energy_wh > 0),"
            " ADD CONSTRAINT chk_trade_price CHECK (price_per_kwh >= 0)",
        },
        {
            "ALTER TABLE sun_data_hourly ADD COLUMN coverage_s DOUBLE NULL,"
            " ADD CONSTRAINT chk_hourly_coverage CHECK (coverage_s IS NULL OR (coverage_s >= 0 AND coverage_s <= 3600))",
        },
        {
            // As SQLite's step 4. Names and hashes compare byte for byte
            // (_bin collations), as in SQLite.
            "CREATE TABLE IF NOT EXISTS users ("
            " id BIGINT AUTO_INCREMENT PRIMARY KEY,"
            " username VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,"
            " role VARCHAR(16) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,"
            " household CHAR(1) CHARACTER SET ascii COLLATE ascii_bin NULL,"
            " password_hash VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,"
            " created_at DATETIME(3) NOT NULL,"
            " UNIQUE KEY uq_users_username (username),"
            " CONSTRAINT chk_users_username CHECK (CHAR_LENGTH(username) BETWEEN 1 AND 64),"
            " CONSTRAINT chk_users_role CHECK (role IN ('admin', 'operator', 'household', 'viewer')),"
            " CONSTRAINT chk_users_household CHECK (household IS NULL OR household IN ('A', 'B', 'C', 'D')),"
            " CONSTRAINT chk_users_household_role CHECK ((role = 'household') = (household IS NOT NULL)))"
            " ENGINE=InnoDB",
            "CREATE TABLE IF NOT EXISTS auth_sessions ("
            " token_hash CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,"
            " user_id BIGINT NOT NULL,"
            " created_at DATETIME(3) NOT NULL,"
            " expires_at DATETIME(3) NOT NULL,"
            " INDEX idx_auth_sessions_expires (expires_at),"
            " CONSTRAINT fk_auth_sessions_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE,"
            " CONSTRAINT chk_auth_sessions_hash CHECK (token_hash REGEXP '^[0-9a-f]{64}$'))"
            " ENGINE=InnoDB",
            "CREATE TABLE IF NOT EXISTS api_tokens ("
            " id BIGINT AUTO_INCREMENT PRIMARY KEY,"
            " kind VARCHAR(8) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,"
            " name VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,"
            " token_hash CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,"
            " user_id BIGINT NULL,"
            " created_at DATETIME(3) NOT NULL,"
            " last_used_at DATETIME(3) NULL,"
            " revoked_at DATETIME(3) NULL,"
            " active_name VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL,"
            " UNIQUE KEY uq_api_tokens_hash (token_hash),"
            " UNIQUE KEY uq_api_tokens_active (kind, active_name),"
            " CONSTRAINT fk_api_tokens_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE SET NULL,"
            " CONSTRAINT chk_api_tokens_kind CHECK (kind IN ('device', 'user')),"
            " CONSTRAINT chk_api_tokens_name CHECK (CHAR_LENGTH(name) BETWEEN 1 AND 64),"
            " CONSTRAINT chk_api_tokens_hash CHECK (token_hash REGEXP '^[0-9a-f]{64}$'),"
            " CONSTRAINT chk_api_tokens_active CHECK ((revoked_at IS NULL AND active_name = name)"
            " OR (revoked_at IS NOT NULL AND active_name IS NULL)))"
            " ENGINE=InnoDB",
            "CREATE TABLE IF NOT EXISTS audit_log ("
            " id BIGINT AUTO_INCREMENT PRIMARY KEY,"
            " at DATETIME(3) NOT NULL,"
            " actor VARCHAR(128) NOT NULL,"
            " address VARCHAR(64) NOT NULL,"
            " action VARCHAR(64) NOT NULL,"
            " target VARCHAR(128) NOT NULL,"
            " outcome VARCHAR(16) NOT NULL,"
            " detail VARCHAR(1024) NOT NULL,"
            " INDEX idx_audit_log_at (at)) ENGINE=InnoDB",
        },
        {
            // As SQLite's step 5.
            "CREATE TABLE IF NOT EXISTS ledger_entries ("
            " id BIGINT NOT NULL PRIMARY KEY,"
            " at DATETIME(3) NOT NULL,"
            " kind VARCHAR(24) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,"
            " reference VARCHAR(256) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,"
            " estimated TINYINT(1) NOT NULL,"
            " prev_hash CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,"
            " hash CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,"
            " UNIQUE KEY uq_ledger_entries_hash (hash),"
            " INDEX idx_ledger_entries_at (at),"
            " CONSTRAINT chk_ledger_entries_id CHECK (id > 0),"
            " CONSTRAINT chk_ledger_entries_kind CHECK (kind IN ('solar_credit', 'consumption_debit', 'trade', 'adjustment')),"
            " CONSTRAINT chk_ledger_entries_estimated CHECK (estimated IN (0, 1)))"
            " ENGINE=InnoDB",
            "CREATE TABLE IF NOT EXISTS ledger_postings ("
            " entry_id BIGINT NOT NULL,"
            " account VARCHAR(16) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,"
            " energy_wh BIGINT NOT NULL,"
            " money BIGINT NOT NULL,"
            " PRIMARY KEY (entry_id, account),"
            " INDEX idx_ledger_postings_account (account),"
            " CONSTRAINT fk_ledger_postings_entry FOREIGN KEY (entry_id) REFERENCES ledger_entries (id))"
            " ENGINE=InnoDB",
            "CREATE TABLE IF NOT EXISTS market_accounts ("
            " account VARCHAR(16) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,"
            " energy_wh BIGINT NOT NULL,"
            " money BIGINT NOT NULL)"
            " ENGINE=InnoDB",
        },
        {
            // As SQLite's step 6.
            "CREATE TABLE IF NOT EXISTS market_orders ("
            " id BIGINT NOT NULL PRIMARY KEY,"
            " household VARCHAR(4) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,"
            " side VARCHAR(4) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,"
            " energy_wh BIGINT NOT NULL,"
            " filled_wh BIGINT NOT NULL,"
            " price BIGINT NOT NULL,"
            " tif VARCHAR(3) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,"
            " status VARCHAR(9) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,"
            " reason VARCHAR(24) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,"
            " expires_at DATETIME(3) NULL,"
            " created_at DATETIME(3) NOT NULL,"
            " updated_at DATETIME(3) NOT NULL,"
            " INDEX idx_market_orders_status (status, id),"
            " INDEX idx_market_orders_household (household, id),"
            " CONSTRAINT chk_market_orders_id CHECK (id > 0),"
            " CONSTRAINT chk_market_orders_household CHECK (household IN ('A', 'B', 'C', 'D', 'pool')),"
            " CONSTRAINT chk_market_orders_side CHECK (side IN ('buy', 'sell')),"
            " CONSTRAINT chk_market_orders_energy CHECK (energy_wh > 0 AND filled_wh >= 0 AND filled_wh <= energy_wh),"
            " CONSTRAINT chk_market_orders_price CHECK (price >= 0),"
            " CONSTRAINT chk_market_orders_tif CHECK (tif IN ('gtc', 'ioc')),"
            " CONSTRAINT chk_market_orders_status CHECK (status IN ('open', 'filled', 'cancelled', 'expired')))"
            " ENGINE=InnoDB",
            "ALTER TABLE trade_history ADD COLUMN buy_order_id BIGINT NULL, ADD COLUMN sell_order_id BIGINT NULL,"
            " ADD INDEX idx_trade_history_created (created_at)",
        },
        {
            // As SQLite's step 7.
            "CREATE TABLE IF NOT EXISTS leases ("
            " name VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,"
            " holder VARCHAR(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,"
            " expires_at DATETIME(3) NOT NULL) ENGINE=InnoDB",
        },
        {
            // As SQLite's step 8.
            "CREATE TABLE IF NOT EXISTS market_version ("
            " id INT NOT NULL PRIMARY KEY,"
            " version BIGINT NOT NULL,"
            " settled_at BIGINT NULL,"
            " settled_soc INT NULL,"
            " settled_solar_w DOUBLE NULL,"
            " settled_lux DOUBLE NULL,"
            " settled_meter_a DOUBLE NULL, settled_meter_b DOUBLE NULL, settled_meter_c DOUBLE NULL,"
            " settled_meter_d DOUBLE NULL,"
            " CONSTRAINT chk_market_version_id CHECK (id = 1),"
            " CONSTRAINT chk_market_version_version CHECK (version >= 0)) ENGINE=InnoDB",
            "INSERT IGNORE INTO market_version (id, version) VALUES (1, 0)",
        },
    };
    return d == dialect::sqlite ? sqlite : mysql;
}

int migrate_locked(soci::session& s, dialect d);

}  // namespace

int migrate(soci::session& s, dialect d) {
    if (d == dialect::mysql) {
        // Several instances may start at once against one MySQL: one
        // migrates, the others wait and then find nothing left to do.
        int got = 0;
        s << "SELECT GET_LOCK('solgrid_migrate', 60)", soci::into(got);
        if (got != 1) throw std::runtime_error("timed out waiting for another instance to migrate the schema");
        try {
            int v = migrate_locked(s, d);
            s << "SELECT RELEASE_LOCK('solgrid_migrate')", soci::into(got);
            return v;
        } catch (...) {
            try {
                s << "SELECT RELEASE_LOCK('solgrid_migrate')", soci::into(got);
            } catch (...) {
            }
            throw;
        }
    }
    return migrate_locked(s, d);
}

namespace {

int migrate_locked(soci::session& s, dialect d) {
    s << "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)";
    int count = 0;
    s << "SELECT COUNT(*) FROM schema_version", soci::into(count);
    if (count == 0) s << "INSERT INTO schema_version (version) VALUES (0)";
    int version = 0;
    s << "SELECT MAX(version) FROM schema_version", soci::into(version);
    const auto& all = steps(d);
    if (version > static_cast<int>(all.size()))
        throw std::runtime_error("the database schema version " + std::to_string(version) +
                                 " is newer than this solgrid knows (" + std::to_string(all.size()) +
                                 "): run the solgrid version that migrated it, or restore the backup taken before "
                                 "the upgrade (docs/operations.md, Upgrade)");
    for (int v = version; v < static_cast<int>(all.size()); ++v) {
        soci::transaction tx(s);  // DDL is transactional in SQLite; MySQL commits it anyway
        for (const auto& sql : all[v]) s << sql;
        int next = v + 1;
        s << "UPDATE schema_version SET version = :v", soci::use(next);
        tx.commit();
        spdlog::info("database schema migrated to version {}", next);
    }
    return static_cast<int>(all.size());
}

}  // namespace

}  // namespace solgrid::storage
