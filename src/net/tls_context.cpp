#include "net/tls_context.hpp"

#include "net/http_server.hpp"

#include <boost/asio/ssl/context.hpp>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstring>
#include <fstream>

namespace solgrid::net {
namespace {

// The most recent OpenSSL error's reason ("no start line", "key values
// mismatch"); empties OpenSSL's error queue.
std::string openssl_reason() {
    unsigned long last = 0;
    while (auto e = ERR_get_error()) last = e;
    const char* reason = last ? ERR_reason_error_string(last) : nullptr;
    return reason ? reason : "unknown OpenSSL error";
}

void require_readable(const std::string& setting, const std::string& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) throw startup_error("cannot read " + setting + " " + file + ": " + std::strerror(errno));
}

// A key with a passphrase would make OpenSSL ask on the terminal; a server
// cannot answer, so it gets no passphrase and the load fails instead.
int no_passphrase(char*, int, int, void*) { return 0; }

void warn_if_expired(SSL_CTX* ctx, const std::string& setting, const std::string& file) {
    X509* cert = SSL_CTX_get0_certificate(ctx);
    if (!cert) return;
    if (X509_cmp_current_time(X509_get0_notAfter(cert)) < 0)
        spdlog::warn("the certificate in {} {} has expired: clients will refuse it", setting, file);
    else if (X509_cmp_current_time(X509_get0_notBefore(cert)) > 0)
        spdlog::warn("the certificate in {} {} is not valid yet: clients will refuse it", setting, file);
}

}  // namespace

std::shared_ptr<boost::asio::ssl::context> load_tls_context(const std::string& cert_file, const std::string& key_file,
                                                            const std::string& cert_setting,
                                                            const std::string& key_setting) {
    namespace ssl = boost::asio::ssl;
    require_readable(cert_setting, cert_file);
    require_readable(key_setting, key_file);

    auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
    SSL_CTX* native = ctx->native_handle();
    ERR_clear_error();
    if (SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION) != 1)
        throw startup_error("cannot restrict TLS to version 1.2 and newer: " + openssl_reason());
    SSL_CTX_set_options(native, SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
    // Idle connections (quiet WebSockets) give their record buffers back.
    SSL_CTX_set_mode(native, SSL_MODE_RELEASE_BUFFERS);
    SSL_CTX_set_default_passwd_cb(native, no_passphrase);

    if (SSL_CTX_use_certificate_chain_file(native, cert_file.c_str()) != 1)
        throw startup_error(cert_setting + " " + cert_file + " is not a PEM certificate (" + openssl_reason() +
                            "); it must hold the server certificate, then any intermediates, in PEM");
    if (SSL_CTX_use_PrivateKey_file(native, key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
        auto reason = openssl_reason();
        // The certificate was accepted; a key that does not belong to it is
        // refused here already by OpenSSL 3.
        if (reason.find("mismatch") != std::string::npos)
            throw startup_error(key_setting + " " + key_file + " does not match the certificate in " + cert_setting +
                                " " + cert_file);
        throw startup_error(key_setting + " " + key_file + " is not an unencrypted PEM private key (" + reason + ")");
    }
    if (SSL_CTX_check_private_key(native) != 1)
        throw startup_error(key_setting + " " + key_file + " does not match the certificate in " + cert_setting + " " +
                            cert_file + " (" + openssl_reason() + ")");
    warn_if_expired(native, cert_setting, cert_file);
    return ctx;
}

}  // namespace solgrid::net
