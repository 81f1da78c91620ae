/* A shared object without the descriptor symbol: invalid. */
int ingesthost_not_a_plugin = 1;
