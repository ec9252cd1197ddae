/*
 * fifo.h - the agent's one FIFO: a queue of structs linked through their
 * own `next` member, in the spirit of BSD's STAILQ. Macros, so each queue
 * keeps its item type and the compiler checks it; O(1) push, pop and
 * take-all. Not thread-safe: the owner holds whatever lock guards it.
 *
 *   typedef TS_FIFO(struct job) job_queue;
 *   TS_FIFO_PUSH(&q, job);
 *   struct job *first; TS_FIFO_POP(&q, first);      NULL when empty
 *   struct job *all;   TS_FIFO_TAKE_ALL(&q, all);   a `next` chain; q empty
 */
#ifndef TILLSYNC_FIFO_H
#define TILLSYNC_FIFO_H

#define TS_FIFO(type)                                                                              \
    struct {                                                                                       \
        type *head, *tail;                                                                         \
    }

#define TS_FIFO_PUSH(q, item)                                                                      \
    do {                                                                                           \
        (item)->next = NULL;                                                                       \
        if ((q)->tail)                                                                             \
            (q)->tail->next = (item);                                                              \
        else                                                                                       \
            (q)->head = (item);                                                                    \
        (q)->tail = (item);                                                                        \
    } while (0)

#define TS_FIFO_POP(q, out)                                                                        \
    do {                                                                                           \
        (out) = (q)->head;                                                                         \
        if (out) {                                                                                 \
            (q)->head = (out)->next;                                                               \
            if (!(q)->head)                                                                        \
                (q)->tail = NULL;                                                                  \
            (out)->next = NULL;                                                                    \
        }                                                                                          \
    } while (0)

#define TS_FIFO_TAKE_ALL(q, out)                                                                   \
    do {                                                                                           \
        (out) = (q)->head;                                                                         \
        (q)->head = (q)->tail = NULL;                                                              \
    } while (0)

#endif
