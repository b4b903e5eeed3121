# Muse on CPU, from its wheel: `docker build -t muse:0.1.0 .`, then
# `docker run -p 8000:8000 -p 8080:8080 -v muse-data:/home/muse/data muse:0.1.0`.
# The same image runs the KubeRay manifest's pods (deploy/kuberay/rayservice.yaml), where KubeRay starts Ray.

# Stage 1: build the wheel (serve_config.yaml, sample data, bundled model and contracts are package data).
FROM python:3.11-slim AS build
WORKDIR /src
COPY . .
RUN pip wheel --no-cache-dir --no-deps -w /dist .

# Stage 2: the runtime, without build tools or sources. CPU-only torch wheels keep the image small.
FROM python:3.11-slim
RUN useradd --create-home --uid 1000 muse
COPY --from=build /dist/ /tmp/dist/
RUN pip install --no-cache-dir --extra-index-url https://download.pytorch.org/whl/cpu /tmp/dist/muse-*.whl \
    && rm -rf /tmp/dist
USER muse
WORKDIR /home/muse
# Everything that must survive the container (chain, index, users, conversations) lives in MUSE_HOME: mount it.
ENV MUSE_HOME=/home/muse/data HF_HUB_OFFLINE=1
VOLUME ["/home/muse/data"]
EXPOSE 8000 8080
# The container profile listens on all interfaces (the port mapping decides who reaches it); no dashboard.
CMD ["muse", "serve", "--profile", "container", "--no-dashboard"]
