# postbacksim sandbox image: the static binary alone, on scratch.
#
# Build it with `make docker`, which builds bin/postbacksim first: nothing
# is compiled or pulled inside Docker, so the image builds offline.
#   docker run -p 8080:8080 postbacksim
FROM scratch
COPY bin/postbacksim /postbacksim
USER 65532:65532
ENV POSTBACKSIM_ADDR=0.0.0.0:8080
EXPOSE 8080
HEALTHCHECK --interval=5s --timeout=3s --start-period=2s --retries=3 CMD ["/postbacksim", "healthcheck"]
ENTRYPOINT ["/postbacksim"]
CMD ["serve"]
