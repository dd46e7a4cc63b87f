"""Writes a minimal pure-Python wheel for raycl's py_modules tests; prints its path.

  make_wheel.py OUT_DIR DISTRIBUTION VERSION MODULE VALUE

The wheel (PEP 427) holds MODULE/__init__.py with `NAME = VALUE` and the dist-info pip needs:
METADATA, WHEEL and a RECORD with the sha256 of every other file. DISTRIBUTION uses only
letters, digits and underscores (the wheel file name's escaping of "-").
"""
import base64
import hashlib
import os
import sys
import zipfile


def record_line(name, data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return "%s,sha256=%s,%d" % (name, digest, len(data))


def main():
    out_dir, distribution, version, module, value = sys.argv[1:6]
    dist_info = "%s-%s.dist-info" % (distribution, version)
    files = {
        module + "/__init__.py": ("NAME = %r\n" % value).encode(),
        dist_info + "/METADATA": ("Metadata-Version: 2.1\nName: %s\nVersion: %s\n" % (distribution, version)).encode(),
        dist_info + "/WHEEL": b"Wheel-Version: 1.0\nGenerator: raycl-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = [record_line(name, data) for name, data in files.items()] + [dist_info + "/RECORD,,"]
    files[dist_info + "/RECORD"] = ("\n".join(record) + "\n").encode()
    path = os.path.join(out_dir, "%s-%s-py3-none-any.whl" % (distribution, version))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as wheel:
        for name, data in files.items():
            wheel.writestr(name, data)
    print(path)


if __name__ == "__main__":
    main()
