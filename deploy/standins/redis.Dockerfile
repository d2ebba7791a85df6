# Stand-in for redis:7, from Debian bookworm's Redis 7.0: in memory, reachable on the
# compose network.
FROM mlbilling-standin/debian:bookworm
RUN apt-get update \
    && apt-get install -y --no-install-recommends redis-server \
    && rm -rf /var/lib/apt/lists/*
EXPOSE 6379
CMD ["redis-server", "--bind", "0.0.0.0", "--protected-mode", "no", "--save", "", "--appendonly", "no"]
