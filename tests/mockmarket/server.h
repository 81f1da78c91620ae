#ifndef MM_SERVER_H
#define MM_SERVER_H
#include <microhttpd.h>
#include "mockmarket.h"
/* Serve s on 127.0.0.1:port (0: any free port); *bound gets the port. */
struct MHD_Daemon *mm_serve(mm_state *s, int port, int *bound);
#endif
