# Stand-in for python:3.11-slim, from Debian bookworm's python3 (3.11): `python` on PATH,
# venv and pip, and pip trusting the same certificate authorities as the host.
FROM mlbilling-standin/debian:bookworm
RUN apt-get update \
    && apt-get install -y --no-install-recommends python3 python3-venv \
    && rm -rf /var/lib/apt/lists/* \
    && ln -s /usr/bin/python3 /usr/local/bin/python
COPY pip.conf /etc/pip.conf
