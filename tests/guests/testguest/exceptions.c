#include "exceptions.h"

#include "arch.h"
#include "console.h"
#include "exc_frame.h"
#include "gic.h"
#include "print.h"

#define ESR_EC(esr) (((esr) >> 26) & 0x3f)
#define EC_DATA_ABORT_SAME_EL 0x25
#define ESR_IL (1u << 25) /* 32-bit instruction */

static volatile int catch_armed;
static volatile int catch_hit;
static struct fault_info catch_info;
static int in_fatal;

void exc_dispatch(struct exc_frame *f, uint64_t kind);

_Noreturn void halt(void)
{
    __asm__ volatile("msr daifset, #0xf" : : : "memory");
    for (;;)
        wfi();
}

void fault_catch_begin(void)
{
    catch_hit = 0;
    catch_armed = 1;
}

int fault_catch_end(struct fault_info *out)
{
    catch_armed = 0;
    if (catch_hit && out)
        *out = catch_info;
    return catch_hit;
}

static const char *kind_name(uint64_t kind)
{
    static const char *const names[] = {"sync", "irq", "fiq", "serror"};
    return names[kind & 3];
}

static _Noreturn void fatal(const struct exc_frame *f, uint64_t kind)
{
    if (!in_fatal) { /* the report itself could fault (e.g. inside the console driver) */
        in_fatal = 1;
        kprintf("\r\n*** unhandled %s exception (vector %lu): ESR=0x%lx ELR=0x%lx FAR=0x%lx "
                "SPSR=0x%lx\r\n",
                kind_name(kind), (unsigned long)kind, (unsigned long)f->esr, (unsigned long)f->elr,
                (unsigned long)f->far, (unsigned long)f->spsr);
        console_flush();
    }
    halt();
}

/* Returns 1 if the abort was expected and has been stepped over. */
static int try_catch(struct exc_frame *f)
{
    if (!catch_armed || ESR_EC(f->esr) != EC_DATA_ABORT_SAME_EL)
        return 0;
    catch_info.esr = f->esr;
    catch_info.far = f->far;
    catch_info.elr = f->elr;
    catch_hit = 1;
    f->elr += (f->esr & ESR_IL) ? 4 : 2;
    return 1;
}

void exc_dispatch(struct exc_frame *f, uint64_t kind)
{
    if (kind == EXC_KIND_CUR_SPX_IRQ) {
        gic_handle_irq();
        return;
    }
    if (kind == EXC_KIND_CUR_SPX_SYNC && try_catch(f))
        return;
    fatal(f, kind);
}
