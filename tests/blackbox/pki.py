"""Certificates for the TLS tests, made by the openssl CLI in a temporary
directory: a CA, a server certificate for 127.0.0.1 and localhost, a client
certificate, one from a foreign CA, an expired one, and a second server
certificate for rotation. All keys are EC P-256 (fast to make)."""

import os
import subprocess
import textwrap


def run(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


class Pki:
    def __init__(self, directory):
        self.dir = directory
        os.makedirs(directory, exist_ok=True)
        self.ca("ca")
        self.ca("foreign")
        self.leaf("server", "ca", "mmwatch", server=True)
        self.leaf("server2", "ca", "mmwatch-rotated", server=True)
        self.leaf("client", "ca", "scraper", sans="DNS:scraper.example,email:ops@example.com")
        self.leaf("other", "ca", "intruder", sans="DNS:intruder.example")
        self.leaf("foreign-client", "foreign", "scraper")
        self.expired("expired-client", "ca", "scraper")

    def path(self, name):
        return os.path.join(self.dir, name)

    def key(self, name):
        run("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", name + ".key", cwd=self.dir)

    def ca(self, name):
        self.key(name)
        run("req", "-x509", "-new", "-key", name + ".key", "-subj", "/CN=%s test CA" % name, "-days", "30",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
            "-out", name + ".crt", cwd=self.dir)

    def leaf(self, name, ca, cn, server=False, sans=None):
        self.key(name)
        run("req", "-new", "-key", name + ".key", "-subj", "/CN=" + cn, "-out", name + ".csr", cwd=self.dir)
        ext = os.path.join(self.dir, name + ".ext")
        with open(ext, "w") as f:
            if server:
                f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n")
            else:
                f.write("subjectAltName=%s\nextendedKeyUsage=clientAuth\n" % (sans or "DNS:" + cn + ".example"))
        run("x509", "-req", "-in", name + ".csr", "-CA", ca + ".crt", "-CAkey", ca + ".key", "-CAcreateserial",
            "-days", "30", "-extfile", ext, "-out", name + ".crt", cwd=self.dir)

    def expired(self, name, ca, cn):
        """Valid for one day in 2020: `openssl ca` is the CLI's way to set both dates."""
        self.key(name)
        run("req", "-new", "-key", name + ".key", "-subj", "/CN=" + cn, "-out", name + ".csr", cwd=self.dir)
        db = os.path.join(self.dir, "ca-db")
        os.makedirs(db, exist_ok=True)
        open(os.path.join(db, "index.txt"), "w").close()
        with open(os.path.join(db, "serial"), "w") as f:
            f.write("1000\n")
        cnf = os.path.join(self.dir, "ca.cnf")
        with open(cnf, "w") as f:
            f.write(textwrap.dedent("""\
                [ca]
                default_ca = test
                [test]
                database = %(db)s/index.txt
                serial = %(db)s/serial
                new_certs_dir = %(db)s
                default_md = sha256
                policy = any
                copy_extensions = none
                [any]
                commonName = supplied
                [client]
                extendedKeyUsage = clientAuth
                subjectAltName = DNS:scraper.example
                """ % {"db": db}))
        run("ca", "-batch", "-config", cnf, "-cert", ca + ".crt", "-keyfile", ca + ".key", "-in", name + ".csr",
            "-startdate", "20200101000000Z", "-enddate", "20200102000000Z", "-extensions", "client",
            "-out", name + ".crt", cwd=self.dir)
