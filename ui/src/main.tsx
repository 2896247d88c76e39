// The bundle Airflow's page imports: it registers each React app under the name the plugin
// gives it (one bundle serves all three: Airflow evaluates a module URL only once).
import { JobsScreen } from "./JobsScreen";
import { JobOutputTab } from "./OutputView";

const host = globalThis as unknown as Record<string, unknown>;
host["Scheduled Jobs"] = JobsScreen;
host["Job output"] = JobOutputTab;

export default JobsScreen;
