/* Tagged-view line queue: records of {len, complete, bytes}, oldest dropped when full. */
#include "hypervisor/tagq.h"

#define REC_HDR 2
_Static_assert(TAGLINE_MAX <= 255, "a record keeps its length in one byte");

void tagq_init(struct tagq *q)
{
    memset(q, 0, sizeof(*q));
}

static uint8_t at(const struct tagq *q, uint32_t pos)
{
    return q->buf[pos % TAGQ_SIZE];
}

/* Returns the zone bytes the dropped line held. */
static uint32_t drop_oldest(struct tagq *q)
{
    uint32_t len = at(q, q->tail);
    q->tail += REC_HDR + len;
    q->lines--;
    q->dropped++;
    q->dropped_total++;
    return len;
}

uint32_t tagq_push(struct tagq *q, const uint8_t *line, uint32_t len, bool complete)
{
    uint32_t lost = 0;
    if (len > TAGLINE_MAX)
        len = TAGLINE_MAX;
    while (TAGQ_SIZE - (q->head - q->tail) < REC_HDR + len)
        lost += drop_oldest(q);
    q->buf[q->head++ % TAGQ_SIZE] = (uint8_t)len;
    q->buf[q->head++ % TAGQ_SIZE] = complete;
    for (uint32_t i = 0; i < len; i++)
        q->buf[q->head++ % TAGQ_SIZE] = line[i];
    q->lines++;
    return lost;
}

bool tagq_pop(struct tagq *q, uint8_t *out, uint32_t *len, bool *complete)
{
    if (!q->lines)
        return false;
    *len = at(q, q->tail);
    *complete = at(q, q->tail + 1) != 0;
    for (uint32_t i = 0; i < *len; i++)
        out[i] = at(q, q->tail + REC_HDR + i);
    q->tail += REC_HDR + *len;
    q->lines--;
    return true;
}
