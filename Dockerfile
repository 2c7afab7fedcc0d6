# One image for the web server and the workers. The GPU worker uses the same image on a host with the
# NVIDIA container runtime; install a CUDA build of torch there by setting TORCH_INDEX_URL at build time.
FROM node:20-bookworm-slim AS frontend
WORKDIR /src/frontend
COPY frontend/package.json frontend/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY frontend/ ./
RUN npm run build

FROM python:3.11-slim-bookworm
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu
ENV PYTHONUNBUFFERED=1 PYTHONPATH=/app/platform:/app DJANGO_SETTINGS_MODULE=readingroom.settings \
    VAR_DIR=/data MEDIA_ROOT=/data/media STATIC_ROOT=/app/staticfiles
WORKDIR /app
COPY pyproject.toml README.md ./
COPY gaze_capture/ gaze_capture/
COPY cogaze/ cogaze/
RUN pip install --no-cache-dir --extra-index-url "$TORCH_INDEX_URL" -e .
COPY . .
COPY --from=frontend /src/frontend/dist frontend/dist
RUN SECRET_KEY=build-only-not-secret python manage.py collectstatic --noinput -v 0
EXPOSE 8000
CMD ["daphne", "-b", "0.0.0.0", "-p", "8000", "--websocket-max-message-size", "524288", \
     "--websocket-max-frame-size", "524288", "readingroom.asgi:application"]
