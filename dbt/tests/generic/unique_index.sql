{#-
    Passes when the tested table has a unique index on exactly `columns` (in that order): the
    database then guarantees the key on every row, old and new, for the cost of a catalog
    lookup instead of a scan of the whole history. Fails (one row) when the index is missing.
-#}
{% test unique_index(model, columns) %}

select '{{ model }}' as relation_name, '{{ columns | join(", ") }}' as key_columns
where not exists (
    select
    from pg_index
    where indrelid = '{{ model }}'::regclass
      and indisunique
      -- int2vector's text form: attribute numbers separated by spaces
      and indkey::text = (
          select string_agg(attnum::text, ' ' order by ordinality)
          from unnest(array[{% for c in columns %}'{{ c }}'{% if not loop.last %}, {% endif %}{% endfor %}])
              with ordinality as wanted (column_name, ordinality)
          inner join pg_attribute
              on attrelid = '{{ model }}'::regclass and attname = wanted.column_name
      )
)

{% endtest %}
