"""The loopback HTTP server of the web-API tests, shared with make run's stand-ins."""

from include.web_standins.loopback import Answer, Handler, LoopbackHttpServer, Request

__all__ = ["Answer", "Handler", "LoopbackHttpServer", "Request"]
