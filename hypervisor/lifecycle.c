/* A zone's life cycle: see lifecycle.h for the transitions. */
#include "hypervisor/lifecycle.h"

void life_init(struct life *l)
{
    l->state = LIFE_RUNNING;
    l->goal = GOAL_NONE;
}

static enum life_action request(struct life *l, enum life_goal goal)
{
    switch (l->state) {
    case LIFE_RUNNING:
        l->state = LIFE_STOPPING;
        l->goal = goal;
        return LIFE_DO_STOP_ALL;
    case LIFE_STOPPING:
        l->goal = goal; /* the newer request wins; the stop is under way already */
        return LIFE_DO_NOTHING;
    case LIFE_LOADING:
        /* A restart is what is happening; an off is remembered for when it is done. */
        if (goal == GOAL_OFF)
            l->goal = GOAL_OFF;
        return LIFE_DO_NOTHING;
    case LIFE_OFF:
        if (goal != GOAL_RESTART)
            return LIFE_DO_NOTHING;
        l->state = LIFE_STOPPING;
        l->goal = GOAL_RESTART;
        return LIFE_DO_STOP_ALL; /* nothing runs: completes at once */
    }
    return LIFE_DO_NOTHING;
}

enum life_action life_request_restart(struct life *l)
{
    return request(l, GOAL_RESTART);
}

enum life_action life_request_off(struct life *l)
{
    return request(l, GOAL_OFF);
}

enum life_action life_all_stopped(struct life *l)
{
    if (l->state != LIFE_STOPPING)
        return LIFE_DO_NOTHING;
    if (l->goal == GOAL_OFF) {
        l->state = LIFE_OFF;
        l->goal = GOAL_NONE;
        return LIFE_DO_NOTHING;
    }
    l->state = LIFE_LOADING;
    l->goal = GOAL_NONE;
    return LIFE_DO_LOAD;
}

enum life_action life_loaded(struct life *l)
{
    if (l->state != LIFE_LOADING)
        return LIFE_DO_NOTHING;
    bool off = l->goal == GOAL_OFF;
    l->state = LIFE_RUNNING;
    l->goal = GOAL_NONE;
    return off ? request(l, GOAL_OFF) : LIFE_DO_NOTHING;
}

bool life_may_cpu_on(const struct life *l)
{
    return l->state == LIFE_RUNNING;
}

bool life_takes_input(const struct life *l)
{
    switch (l->state) {
    case LIFE_RUNNING:
        return true;
    case LIFE_STOPPING:
    case LIFE_LOADING:
        return l->goal != GOAL_OFF;
    case LIFE_OFF:
        return false;
    }
    return false;
}

const char *life_str(const struct life *l)
{
    switch (l->state) {
    case LIFE_RUNNING:
        return "running";
    case LIFE_STOPPING:
        return l->goal == GOAL_OFF ? "stopping" : "restarting";
    case LIFE_LOADING:
        return "restarting";
    case LIFE_OFF:
        return "off";
    }
    return "?";
}
