// Self-signed certificates made in memory for the TLS unit tests (the
// black-box tests use the openssl CLI: tests/blackbox/pki.py).
#pragma once

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cstdio>
#include <string>

namespace mmwatch::test {

// Writes KEY and CERT (PEM) for a self-signed EC P-256 certificate with
// common name `cn` to `key_path` and `cert_path`.
inline bool make_self_signed(const std::string& cn, const std::string& key_path, const std::string& cert_path) {
    EVP_PKEY* key = EVP_EC_gen("P-256");
    X509* x = X509_new();
    if (!key || !x) return false;
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), -60);
    X509_gmtime_adj(X509_getm_notAfter(x), 86400);
    X509_set_pubkey(x, key);
    X509_NAME* name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
    X509_set_issuer_name(x, name);
    X509_sign(x, key, EVP_sha256());
    bool ok = false;
    if (FILE* f = std::fopen(key_path.c_str(), "w")) {
        ok = PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr) == 1;
        std::fclose(f);
    }
    if (FILE* f = std::fopen(cert_path.c_str(), "w")) {
        ok = ok && PEM_write_X509(f, x) == 1;
        std::fclose(f);
    }
    X509_free(x);
    EVP_PKEY_free(key);
    return ok;
}

}  // namespace mmwatch::test
