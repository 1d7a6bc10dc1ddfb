# syntax=docker/dockerfile:1
# Multi-stage build: compile the release binary, ship it alone in a small
# non-root runtime image. Configure with environment variables (README),
# e.g. DATABASE_URL=postgres://crm:...@db:5432/crm and CRM_JWT_SECRET.

FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --bin crm \
 && cp target/release/crm /usr/local/bin/crm

# glibc, CA certificates and a non-root user, without a shell or package manager.
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /usr/local/bin/crm /usr/local/bin/crm
WORKDIR /home/nonroot
ENV CRM_ENV=production \
    CRM_BIND=0.0.0.0:8080 \
    CRM_LOG_FORMAT=json
USER nonroot:nonroot
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["/usr/local/bin/crm", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/crm"]
CMD ["serve"]
