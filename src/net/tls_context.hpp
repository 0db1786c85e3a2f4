// The server's TLS settings (TLS_CERT_FILE + TLS_KEY_FILE): certificate
// chain and private key loaded once at start, TLS 1.2 and newer only,
// OpenSSL 3's default ciphers with the server's preference. Called on the
// main thread before serving; the context is then shared read-only by every
// connection (net::http_server, server_options::tls).
#pragma once

#include <memory>
#include <string>

namespace boost::asio::ssl {
class context;
}

namespace solgrid::net {

// Throws net::startup_error naming the variable and the file when a file is
// unreadable, is not PEM, the key is encrypted, or the key does not belong
// to the certificate. `cert_setting`/`key_setting` name the variables in
// those sentences.
std::shared_ptr<boost::asio::ssl::context> load_tls_context(const std::string& cert_file, const std::string& key_file,
                                                            const std::string& cert_setting = "TLS_CERT_FILE",
                                                            const std::string& key_setting = "TLS_KEY_FILE");

}  // namespace solgrid::net
