/*
 * A zone's life cycle, as a state machine with named transitions. The zone code (zone.c) holds
 * the zone's life lock around every call, and carries out the action each transition returns.
 *
 *   RUNNING  --restart requested-->  STOPPING (goal RESTART)  action: stop every vCPU
 *   RUNNING  --off requested-->      STOPPING (goal OFF)      action: stop every vCPU
 *   STOPPING --restart/off requested--> STOPPING, the newer goal replaces the older
 *   STOPPING --every vCPU stopped, goal OFF-->     OFF
 *   STOPPING --every vCPU stopped, goal RESTART--> LOADING    action: reload the images
 *   LOADING  --loaded-->             RUNNING                  (vCPU 0 starts; nothing latched)
 *   LOADING  --restart requested-->  LOADING (already a restart: coalesced)
 *   LOADING  --off requested-->      LOADING, goal OFF: once loaded, straight on to STOPPING
 *   OFF      --restart requested-->  STOPPING (goal RESTART): no vCPU runs, so at once LOADING
 *   OFF      --off requested-->      OFF
 *
 * CPU_ON is allowed only while RUNNING: no vCPU can start once a stop is under way, so a stop
 * request can never cancel a CPU_ON that has returned SUCCESS.
 */
#ifndef HV_LIFECYCLE_H
#define HV_LIFECYCLE_H

#include "hypervisor/lib.h"

enum life_state { LIFE_RUNNING = 0, LIFE_STOPPING, LIFE_LOADING, LIFE_OFF };
enum life_goal { GOAL_NONE = 0, GOAL_OFF, GOAL_RESTART };
enum life_action { LIFE_DO_NOTHING = 0, LIFE_DO_STOP_ALL, LIFE_DO_LOAD };

struct life {
    enum life_state state;
    enum life_goal goal; /* STOPPING: where to; LOADING: GOAL_OFF if an off came meanwhile */
};

void life_init(struct life *l);
enum life_action life_request_restart(struct life *l);
enum life_action life_request_off(struct life *l);
/* Every vCPU of the zone is off: the stop (if one is under way) is complete. */
enum life_action life_all_stopped(struct life *l);
/* The images are reloaded: RUNNING, or on to STOPPING if an off came meanwhile. */
enum life_action life_loaded(struct life *l);
bool life_may_cpu_on(const struct life *l);
/* Are keys typed for the zone kept for it? While it runs, and while it restarts: the held-input
 * ring survives the restart, so the new boot reads them. Not once it is off or stopping for
 * good: those keys are discarded (and counted). */
bool life_takes_input(const struct life *l);
/* "running", "restarting", "stopping", "off": what the zone list shows. */
const char *life_str(const struct life *l);

#endif
