// sql: the transactions `binlogkit sql` would write for a binlog (binlogkit::sql).
#include <binlogkit/core/source.hpp>
#include <binlogkit/sql/sql.hpp>

#include <cstdio>
#include <vector>

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  auto src = binlogkit::source::open(argv[1]);
  if (!src) return 2;
  std::vector<binlogkit::binlog_input> inputs{{argv[1], src->data()}};
  binlogkit::transaction_stream stream(std::move(inputs), {}, {});
  unsigned long transactions = 0, statements = 0;
  for (;;) {
    auto t = stream.next();
    if (!t) return 1;
    if (!*t) break;
    ++transactions;
    statements += (*t)->statements.size();
  }
  std::printf("transactions: %lu, statements: %lu\n", transactions, statements);
  return 0;
}
