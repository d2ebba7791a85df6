# Stand-in for nginx:1.22, from Debian bookworm's nginx 1.22: the configuration comes from
# the compose file's bind mount at /etc/nginx/nginx.conf.
FROM mlbilling-standin/debian:bookworm
RUN apt-get update \
    && apt-get install -y --no-install-recommends nginx \
    && rm -rf /var/lib/apt/lists/* \
    && ln -sf /dev/stdout /var/log/nginx/access.log \
    && ln -sf /dev/stderr /var/log/nginx/error.log
EXPOSE 80
STOPSIGNAL SIGQUIT
CMD ["nginx", "-g", "daemon off;"]
