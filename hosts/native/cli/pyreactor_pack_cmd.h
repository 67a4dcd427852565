/* pyreactor_pack_cmd.h -- the `pack` command of pyreactor (argv[0] "pack"). */
#ifndef PYREACTOR_PACK_CMD_H
#define PYREACTOR_PACK_CMD_H

int pyreactor_pack_main(int argc, char **argv);

#endif
