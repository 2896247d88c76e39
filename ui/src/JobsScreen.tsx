// The Scheduled Jobs page inside Airflow: Jobs, Execution History and System Preferences tabs.
import { Alert, Box, HStack, Heading, Spinner, Stack, Tabs, Text } from "@chakra-ui/react";
import { useEffect, useState } from "react";

import { request } from "./api";
import { HistoryTab, type HistoryQuery, defaultHistoryQuery } from "./HistoryTab";
import { JobForm } from "./JobForm";
import { JobsTab, type JobsQuery } from "./JobsTab";
import { OutputView } from "./OutputView";
import { PreferencesTab } from "./PreferencesTab";
import { ScreenToaster } from "./toaster";
import type { CatalogEntry, Me } from "./types";

interface Site {
  set: boolean;
  state: string | null;
  kind: string | null;
  add_on_titles: string[];
}

type View = { kind: "list" } | { kind: "form"; id: string | null } | { kind: "output"; dagId: string; runId: string };

export function SiteLine(props: { site: Site | null }) {
  const { site } = props;
  if (!site) return null;
  const text = site.set
    ? `Site: ${site.state} · ${site.kind} · add-ons: ${site.add_on_titles.length ? site.add_on_titles.join(", ") : "none"}`
    : "Site profile not set: every job class is offered.";
  return (
    <Text fontSize="sm" color="fg.muted" id="site">
      {text}
    </Text>
  );
}

export function JobsScreen() {
  const [me, setMe] = useState<Me | null>(null);
  const [catalog, setCatalog] = useState<CatalogEntry[]>([]);
  const [site, setSite] = useState<Site | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [tab, setTab] = useState("jobs");
  const [view, setView] = useState<View>({ kind: "list" });
  const [jobsQuery, setJobsQuery] = useState<JobsQuery>({ sort: "title", desc: false, page: 1, filters: [] });
  const [historyQuery, setHistoryQuery] = useState<HistoryQuery>(() => defaultHistoryQuery());
  const [historyKey, setHistoryKey] = useState(0);

  useEffect(() => {
    Promise.all([request<Me>("me"), request<CatalogEntry[]>("catalog"), request<Site>("site")])
      .then(([who, classes, profile]) => {
        setMe(who);
        setCatalog(classes);
        setSite(profile);
      })
      .catch((err: unknown) => setError(err instanceof Error ? err.message : String(err)));
  }, []);

  if (error) {
    return (
      <Box p="4">
        <Alert.Root status="error" role="alert">
          <Alert.Indicator />
          <Alert.Title>{error}</Alert.Title>
        </Alert.Root>
      </Box>
    );
  }
  if (!me) return <Spinner m="4" role="status" aria-label="Loading Scheduled Jobs" />;

  const showOutput = (dagId: string, runId: string) => setView({ kind: "output", dagId, runId });
  const runStarted = () => setHistoryKey((n) => n + 1);

  return (
    <Box p="4" data-testid="focus-jobs-screen">
      <ScreenToaster />
      <Stack gap="3">
        <Stack gap="0.5">
          <HStack justify="space-between" flexWrap="nowrap">
            <Heading as="h1" size="lg" whiteSpace="nowrap">
              Scheduled Jobs
            </Heading>
            <Text fontSize="sm" id="who" whiteSpace="nowrap">
              Signed in as {me.username}
              {me.can_edit ? "" : " (view only)"}
            </Text>
          </HStack>
          <SiteLine site={site} />
        </Stack>
        {view.kind === "form" ? (
          <JobForm
            jobId={view.id}
            me={me}
            catalog={catalog}
            onBack={() => setView({ kind: "list" })}
            onSaved={() => setView({ kind: "list" })}
            onRunStarted={runStarted}
          />
        ) : view.kind === "output" ? (
          <OutputView dagId={view.dagId} runId={view.runId} onBack={() => setView({ kind: "list" })} />
        ) : (
          <Tabs.Root value={tab} onValueChange={(e) => setTab(e.value)} lazyMount unmountOnExit variant="line">
            <Tabs.List>
              <Tabs.Trigger value="jobs">Jobs</Tabs.Trigger>
              <Tabs.Trigger value="history">Execution History</Tabs.Trigger>
              <Tabs.Trigger value="prefs">System Preferences</Tabs.Trigger>
            </Tabs.List>
            <Tabs.Content value="jobs">
              <JobsTab
                me={me}
                query={jobsQuery}
                onQuery={setJobsQuery}
                onOpen={(id) => setView({ kind: "form", id })}
                onRunStarted={runStarted}
              />
            </Tabs.Content>
            <Tabs.Content value="history">
              <HistoryTab query={historyQuery} onQuery={setHistoryQuery} onView={showOutput} refreshKey={historyKey} />
            </Tabs.Content>
            <Tabs.Content value="prefs">
              <PreferencesTab />
            </Tabs.Content>
          </Tabs.Root>
        )}
      </Stack>
    </Box>
  );
}

