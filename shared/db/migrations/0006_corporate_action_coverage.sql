-- A corporate-action watermark is a coverage: the kind's events were read from fetched_from
-- through fetched_through. A ticker whose bars start before its coverage (its first read failed,
-- or it was loaded before corporate actions were read) is read again from its first bar.
-- Needs control.corporate_action_watermarks (0005).

alter table control.corporate_action_watermarks
    add column if not exists fetched_from date;

update control.corporate_action_watermarks set fetched_from = fetched_through
where fetched_from is null;

alter table control.corporate_action_watermarks alter column fetched_from set not null;
