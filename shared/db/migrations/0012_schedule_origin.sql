-- When the schedule began: the first start of any scheduler replica, recorded once. A new
-- deployment starts at its next slot, not at the latest past one: installing the project (or
-- starting the demo) must not launch a whole-market run nobody asked for; the user's first run is
-- their own, and the schedule keeps it current from then on. Catch-up never reaches before this.
-- Needs schema control (0001).

create table if not exists control.schedule_origin (
    only_row    boolean primary key default true check (only_row),
    began_at    timestamptz not null,
    began_by    text not null              -- the replica (host:pid) that started first
);
