"""Case 3: safety monitoring of an elderly person living alone (UCI #799).

Data (`case_3/`): `database_pos.csv`, PIR motion state changes per room (one room per row,
1.0 = motion seen, 0.0 = back to idle, 2019-11-01 .. 2020-02-13 UTC, 28,478 rows, 29 rows
with no room at all, dropped), and `gas_hourly_means.csv`, hourly means of seven gas
channels plus temperature and humidity (2,377 hours, 2019-11-06 10:00 .. 2020-02-13 10:00).

EDA and decisions (figures on the model card):
- One *activation* is a 0 -> 1 change of a room's sensor; an hour's count is the number of
  activations that start in it. After an activation a sensor stays on ~60 s (kitchen
  ~240 s), so a room can count at most a few dozen per hour: the largest hour has 19 (living
  room) and 56 over all rooms. The input allows 0..300 per room.
- Rhythm (UTC; the home is in Spain, UTC+1): the person gets up at 07 (12.7 activations,
  the peak, with the bathroom), is active 07..21 (6-14 an hour; 5-29 % of those hours are
  quiet), goes to bed after 21-22; 23..05 is night (1-2.5 an hour, mostly the bedroom,
  35-73 % of hours quiet). No weekly rhythm worth modelling (5.5-8.3 a day-of-week hour).
  So the model of normal behaviour is per hour of day, not per weekday.
- Quiet spells while the person lives there: 95 % of still daytime (08-20) hours are the
  first or second still hour in a row; runs of 3+ still daytime hours happened 4 times in
  79 days (the longest 8 h, 2019-11-28: an outing or a long nap). The one 15-hour gap
  (2019-12-08/09) coincides with 13 missing gas hours: a system outage, not the person.
  Hours without gas readings (59, on 5 days) are outages: they and the still runs that
  cross them are left out.
- The "empty house" (UCI: nobody lived there 2020-01-25 .. 2020-02-13, one visit on 01-29
  15:00) is not empty in the motion file: 1,490 activations on 13 of its 20 days. They are
  not sensor noise: 98 % fall in hours where three or more rooms fire (hallway, living
  room, bathroom together: someone walking), at human hours, whole days long (02-04 ..
  02-05 someone also slept there); only 10 hours have a single room firing (26
  activations: the upper bound of false triggers). CO2 (co2cosirvalue) in hours with
  motion has a median of 102, as while occupied (109), against 68 in the still hours of
  the same period. People (visitors, relatives, perhaps the resident for some days) were
  there. So the period is not "nothing happens" ground truth; only its still daytime
  hours (3+ still hours in a row) are used, as natural "nobody moved in the day" examples.
- Gas and climate: the gas channels are raw sensor readings (no unit) with long right tails
  (cooking: CO hourly means up to 690 against a median of 115), so they are modelled on a
  log scale. Temperature 13.9..25.6 C, humidity 40..63 %; January is colder than November
  and December (weekly minimum 13.9 C against 15.2 C before): a real drift the model meets
  in its test part.

Alert definition. An hour is an alert when its anomaly score passes a threshold; the score is
the largest of these normalised components, each measured against the home's own history:
- no_movement: the stillness surprise, the sum over the last `hours_without_motion` hours
  of -log P(a still hour at that hour of day); a still night costs little, a still
  morning a lot (so no fixed "N hours" rule: 3 still hours at 10:00 alert, at 03:00 not);
- unusual_night_activity (23..05 UTC) / unusual_activity: motion per room and in total
  (log counts) above the median for that hour of day, in units of the spread up to the
  hour's upper quantile (counts are zero-inflated: the MAD of a night room is 0);
- gas_out_of_range, temperature_out_of_range, humidity_out_of_range: a channel's robust
  z-score (log scale for gas) against the whole training period; missing readings (the
  board has outages) are allowed and simply do not count.
Each component is divided by its own 99th percentile on the training hours; the threshold
is the 99th percentile of the resulting score on the training hours, so about 1 % of
normal hours alert, ~2 a week: few enough for a caregiver to check each one. The
pseudo-probability of an alert is s^4 / (s^4 + t^4) for score s and threshold t: 0.5 at
the threshold, monotonic in the score. The baseline is the same machinery without time of
day (one profile for all hours): fixed thresholds on raw values. The pooling window (0 or
+-1 hour) and the upper quantile (MAD, 0.75, 0.9, 0.95) are chosen by F1 on a time split
inside the training hours (injected anomalies only), for both models.

Evaluation (no labels are given, so a labelled set is built): fit on the first 70 % of the
occupied hours, test on the last 30 % (2020-01-01 07:00 ..). Negatives: the 569 held-out
occupied hours. Positives: the 132 still daytime hours of the empty house with 3+ still
hours in a row, and hours injected into the held-out part, 40 of each kind per seed, 5
seeds: daytime hours made still for 3-8 hours (a fall), night hours given the motion of
one of the busiest daytime hours (total >= the training daytime 95th percentile: night
wandering), one gas channel at 1.1-2x its training maximum (a leak), temperature 3-8 C
below its training minimum (heating failure). Recall on night hours given an ordinary
daytime hour's motion (>= 8) is reported apart (`moderate_night`): this resident has
such nights herself (5 % of her 00-05 hours have 9+ activations), so at 1 % false alarms
they rarely alert. The night kind was set to the busiest daytime hours after seeing this.
"""
