# mlbilling web image: gunicorn serving mlbilling.wsgi, static files by whitenoise.
# Build: docker build -t mlbilling .
# Run:   docker run -p 8000:8000 -e SECRET_KEY=... -e ALLOWED_HOSTS=... -e DATABASE_URL=... mlbilling

# --- build: install the pinned requirements into a virtual environment ---------------
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
COPY requirements.txt /tmp/requirements.txt
RUN pip install -r /tmp/requirements.txt

# --- runtime: the virtual environment, the code, collected static files --------------
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/venv/bin:$PATH \
    MEDIA_ROOT=/app/media
# A home of its own: gunicorn puts its control socket in ~/.gunicorn (/app is root's).
RUN groupadd --system app && useradd --system --gid app --create-home --home-dir /home/app app
WORKDIR /app
COPY --from=build /opt/venv /opt/venv
# Matplotlib's font cache is built here once, not by every process on its first start.
ENV MPLCONFIGDIR=/opt/matplotlib
RUN python -c "import matplotlib.font_manager" && chown -R app:app /opt/matplotlib
COPY . .
# collectstatic needs settings to load, not real secrets: a throwaway key for this step only.
RUN DEBUG=false SECRET_KEY=collectstatic-only-not-a-runtime-secret \
        python manage.py collectstatic --no-input \
    && mkdir -p /app/media \
    && chown app:app /app/media
USER app
EXPOSE 8000
CMD ["gunicorn", "mlbilling.wsgi", "--bind", "0.0.0.0:8000", "--workers", "2", "--access-logfile", "-"]
