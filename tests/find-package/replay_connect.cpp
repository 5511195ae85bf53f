// replay: a connection through MariaDB Connector/C (binlogkit::replay) to a loopback port
// where nothing listens: the refusal comes back as a message, not a crash.
#include <binlogkit/replay/connection.hpp>

#include <cstdio>
#include <cstdlib>

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  binlogkit::connection_options c;
  c.host = "127.0.0.1";
  c.port = static_cast<unsigned>(std::atoi(argv[1]));
  c.protocol = "TCP";
  c.no_defaults = true;
  c.connect_timeout = 5;
  auto opened = binlogkit::open_connection(c);
  if (opened.handle) return 1;
  std::printf("refused: %s\n", opened.error.c_str());
  return 0;
}
