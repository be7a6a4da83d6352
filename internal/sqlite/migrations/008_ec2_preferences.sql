-- An EC2 recommendations export keeps its preferences as the validated value
-- it runs with (discovery.EC2Preferences, defaults applied; see
-- ec2PrefsColumn), not as the request's JSON. Earlier rows are converted
-- with the defaults their worker applied when it read them, and the column
-- of request JSON goes.
ALTER TABLE export_tasks ADD COLUMN ec2_preferences TEXT NOT NULL DEFAULT '';

UPDATE export_tasks SET ec2_preferences = json_object(
    'cpu', json_object(
        'name', coalesce(preferences ->> '$.ec2RecommendationsPreferences.cpuPerformanceMetricBasis.name', 'AVG'),
        'adjust', coalesce(preferences ->> '$.ec2RecommendationsPreferences.cpuPerformanceMetricBasis.percentageAdjust', 0)),
    'ram', json_object(
        'name', coalesce(preferences ->> '$.ec2RecommendationsPreferences.ramPerformanceMetricBasis.name', 'AVG'),
        'adjust', coalesce(preferences ->> '$.ec2RecommendationsPreferences.ramPerformanceMetricBasis.percentageAdjust', 0)),
    'tenancy', coalesce(preferences ->> '$.ec2RecommendationsPreferences.tenancy', 'SHARED'),
    'excluded', json(coalesce(preferences -> '$.ec2RecommendationsPreferences.excludedInstanceTypes', '[]')),
    'preferredRegion', coalesce(preferences ->> '$.ec2RecommendationsPreferences.preferredRegion', ''),
    'purchasingOption', coalesce(preferences ->> '$.ec2RecommendationsPreferences.reservedInstanceOptions.purchasingOption', 'ON_DEMAND'),
    'offeringClass', coalesce(preferences ->> '$.ec2RecommendationsPreferences.reservedInstanceOptions.offeringClass', ''),
    'termLength', coalesce(preferences ->> '$.ec2RecommendationsPreferences.reservedInstanceOptions.termLength', ''))
WHERE kind = 'ec2' AND json_valid(preferences);

ALTER TABLE export_tasks DROP COLUMN preferences;
