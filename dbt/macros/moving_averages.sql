{#-
    Mean of the current and n - 1 previous values of the ticker; null until n bars exist.
    Computed from `running_sum` (the sum of the value from the ticker's bar 1, stored on every
    mart row): (running_sum[b] - running_sum[b - n]) / n. Postgres has no inverse transition for
    float avg, so a sliding `rows n - 1 preceding` frame would re-add all n values on every row;
    and the stored sum lets an incremental build read one value n bars back instead of n - 1
    rows (`bars_back`). Rounding: the sums' error is ~1e-16 of the running total, far below
    1e-9 of the mean. `order_by` must order a ticker's rows as bar_number does (the model's one
    sort order for all its windows).
-#}
{% macro trailing_average(running_sum, n, order_by='bar_number') -%}
    case
        when bar_number = {{ n }} then {{ running_sum }} / {{ n }}
        when bar_number > {{ n }}
            then (
                {{ running_sum }}
                - {{ bars_back(running_sum, n, order_by) }}
            ) / {{ n }}
    end
{%- endmacro %}

{#-
    SMA-seeded EMA n of `column` (alpha = 2 / (n + 1), beta = 1 - alpha): null before bar n, the
    SMA of the first n closes at bar n, then alpha * close + beta * previous EMA. Unrolled, EMA[b]
    = beta^(b - n) * SMA[n] + sum over n < k <= b of alpha * beta^(b - k) * close[k]: a running
    sum of terms scaled by beta^-k, times beta^b. Window sums, not a per-row interpreted step.

    The scale grows by 1 / beta a bar, so a term is scaled from the start of its chunk of
    `ema_chunk_bars()` bars (at most e^600: far inside the float range), and a chunk's EMA adds
    the previous chunk's sum, weighted beta^chunk. Older chunks weigh beta^(2 chunk) < e^-40
    (checked at compile time): below the last bit of a double, so the result equals the
    recursion to rounding. An incremental build continues from the EMA of the ticker's last
    built bar (`stored`, given on its first new bar, which is at offset 1 from that bar, the
    chunk's base): the EMA at scale 1 is the first term of the chunk's sum, as that bar's row
    was before.

    ema_term: the row's term; exponential_average: the EMA from `summed`, the running sum of the
    terms within the chunk, and the previous chunk's (lag over `order_by`, the model's order of
    a ticker's rows).
-#}
{% macro ema_term(column, n, stored) -%}
    case
        when bar_number <= {{ n }}
            then {{ column }} / {{ n }} * power({{ ema_growth(n) }}, {{ n - 1 }})
        else coalesce({{ stored }}, 0)
            + 2::double precision / {{ n + 1 }} * {{ column }}
                * power({{ ema_growth(n) }}, ema_offset)
    end
{%- endmacro %}

{% macro exponential_average(summed, n, order_by) -%}
    case
        when bar_number >= {{ n }}
            then power({{ ema_growth(n) }}, -ema_offset) * (
                {{ summed }}
                + case
                    when ema_chunk > 0
                        then power({{ ema_growth(n) }}, -{{ ema_chunk_bars() }})
                            * lag({{ summed }}, (ema_offset + 1)::int) over (
                                partition by ticker order by {{ order_by }}
                            )
                    else 0
                end
            )
    end
{%- endmacro %}

{#- 1 / beta = (n + 1) / (n - 1), a double (a numeric's power keeps decimal places, not
    significant digits) and a constant; exact for n = 3 (powers of 2) -#}
{% macro ema_growth(n) -%}
    ({{ n + 1 }}::double precision / {{ n - 1 }})
{%- endmacro %}

{#- ln(1 / beta) = 2 artanh(1 / n), by its series (Jinja has no logarithm) -#}
{% macro ema_log_growth(n) -%}
    {%- set ns = namespace(total=0.0) -%}
    {%- for i in range(40) -%}
        {%- set ns.total = ns.total + 2.0 / ((2 * i + 1) * (n ** (2 * i + 1))) -%}
    {%- endfor -%}
    {{ return(ns.total) }}
{%- endmacro %}

{#- Bars per EMA chunk: the most for which the fastest EMA's scale stays below e^600 (or var
    ema_chunk_bars). Compile error unless the slowest EMA forgets an older chunk below e^-40 and
    a chunk holds the seed (the first n bars). -#}
{% macro ema_chunk_bars() -%}
    {%- set windows = [var('ema_fast_window') | int, var('ema_slow_window') | int] -%}
    {%- set fastest = ema_log_growth(windows | min) -%}
    {%- set slowest = ema_log_growth(windows | max) -%}
    {%- set bars = var('ema_chunk_bars', (600 / fastest) | int) | int -%}
    {%- if bars * fastest > 600 or bars * slowest < 40 or bars < windows | max -%}
        {{ exceptions.raise_compiler_error(
            "ema_chunk_bars " ~ bars ~ " does not suit EMA windows " ~ windows
            ~ ": needs chunk x ln(1/beta) <= 600 for the fastest, >= 40 for the slowest") }}
    {%- endif -%}
    {{ return(bars) }}
{%- endmacro %}

{#- The value of `column` on the ticker's bar n bars before this one. A full build reads every
    row from bar 1, so it is lag(n). An incremental build writes a rebuilt ticker whole (lag
    again) and an appended ticker's new bars only: a bar n back among them is lag(n), one built
    before is in the tail (mart_plan_ctes' tail_back_<n>_<column>). -#}
{% macro bars_back(column, n, order_by='bar_number') -%}
    {%- set lag -%}
        lag({{ column }}, {{ n }}) over (partition by ticker order by {{ order_by }})
    {%- endset -%}
    {%- if is_incremental() -%}
        case
            when is_rebuilt or bar_number - {{ n }} > last_bar_number then {{ lag }}
            else tail_back_{{ n }}_{{ column }}
        end
    {%- else -%}
        {{ lag }}
    {%- endif -%}
{%- endmacro %}

{#- A running total of `term` from the ticker's first row written (an incremental build adds
    the stored total of the last built bar to its first new bar's term, so the total
    continues), over `order_by`, which orders a ticker's rows as bar_number does -#}
{% macro running_total(term, order_by) -%}
    sum({{ term }}) over (
        partition by ticker
        order by {{ order_by }}
        rows between unbounded preceding and current row
    )
{%- endmacro %}
