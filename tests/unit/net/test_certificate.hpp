// A self-signed P-256 certificate for 127.0.0.1/localhost made at test time
// with OpenSSL, written as PEM files into a fresh temporary directory that
// is removed with the object. For the TLS tests; throws if OpenSSL fails.
#pragma once

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

namespace solgrid::test {

class test_certificate {
public:
    explicit test_certificate(const std::string& common_name = "localhost") {
        char tmpl[] = "/tmp/solgrid-tls-XXXXXX";
        if (!mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
        dir_ = tmpl;
        EVP_PKEY* key = EVP_EC_gen("P-256");
        X509* cert = X509_new();
        if (!key || !cert) throw std::runtime_error("OpenSSL could not make a key");
        X509_set_version(cert, 2);
        ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
        X509_gmtime_adj(X509_getm_notBefore(cert), -60);
        X509_gmtime_adj(X509_getm_notAfter(cert), 24 * 3600);
        X509_set_pubkey(cert, key);
        X509_NAME* name = X509_get_subject_name(cert);
        X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(common_name.c_str()),
                                   -1, -1, 0);
        X509_set_issuer_name(cert, name);
        X509V3_CTX v3;
        X509V3_set_ctx_nodb(&v3);
        X509V3_set_ctx(&v3, cert, cert, nullptr, nullptr, 0);
        if (X509_EXTENSION* san = X509V3_EXT_conf_nid(nullptr, &v3, NID_subject_alt_name, "IP:127.0.0.1,DNS:localhost")) {
            X509_add_ext(cert, san, -1);
            X509_EXTENSION_free(san);
        }
        if (X509_sign(cert, key, EVP_sha256()) == 0) throw std::runtime_error("OpenSSL could not sign");
        cert_file_ = (dir_ / "cert.pem").string();
        key_file_ = (dir_ / "key.pem").string();
        FILE* f = std::fopen(cert_file_.c_str(), "w");
        PEM_write_X509(f, cert);
        std::fclose(f);
        f = std::fopen(key_file_.c_str(), "w");
        PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr);
        std::fclose(f);
        std::ifstream in(cert_file_);
        cert_pem_.assign(std::istreambuf_iterator<char>(in), {});
        X509_free(cert);
        EVP_PKEY_free(key);
    }
    ~test_certificate() {
        std::error_code ec;
        std::filesystem::remove_all(dir_, ec);
    }
    test_certificate(const test_certificate&) = delete;
    test_certificate& operator=(const test_certificate&) = delete;

    const std::string& cert_file() const { return cert_file_; }
    const std::string& key_file() const { return key_file_; }
    const std::string& cert_pem() const { return cert_pem_; }
    // A file in the same directory (removed with it).
    std::string write(const std::string& name, const std::string& content) const {
        auto path = (dir_ / name).string();
        std::ofstream(path) << content;
        return path;
    }

private:
    std::filesystem::path dir_;
    std::string cert_file_, key_file_, cert_pem_;
};

}  // namespace solgrid::test
