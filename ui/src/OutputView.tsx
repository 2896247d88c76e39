// One run's output: as HTML (the default) or as text, with links to the run and its logs.
import { Alert, Badge, Box, Button, HStack, Heading, Link, Spinner, Stack, Tabs, Text } from "@chakra-ui/react";
import { useEffect, useState } from "react";

import { ApiError, airflowUrl, request } from "./api";
import { stateBadge, stateLabel } from "./states";
import type { RunOutput } from "./types";
import { POLL_MS } from "./HistoryTab";

export function runLinks(dagId: string, runId: string) {
  const run = airflowUrl(`dags/${encodeURIComponent(dagId)}/runs/${encodeURIComponent(runId)}`);
  return { run, log: `${run}/tasks/run_job` };
}

export function OutputView(props: { dagId: string; runId: string; onBack?: () => void }) {
  const { dagId, runId, onBack } = props;
  const [output, setOutput] = useState<RunOutput | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [waiting, setWaiting] = useState(false);
  const [tick, setTick] = useState(0);

  useEffect(() => {
    let live = true;
    let timer: number | undefined;
    request<RunOutput>(`history/${encodeURIComponent(dagId)}/${encodeURIComponent(runId)}`)
      .then((o) => {
        if (!live) return;
        setOutput(o);
        setError(null);
        setWaiting(false);
      })
      .catch((err: unknown) => {
        if (!live) return;
        setError(err instanceof Error ? err.message : String(err));
        // No output yet (the run is still going): look again shortly.
        if (err instanceof ApiError && err.status === 404) {
          setWaiting(true);
          timer = window.setTimeout(() => setTick((n) => n + 1), POLL_MS);
        }
      });
    return () => {
      live = false;
      if (timer) window.clearTimeout(timer);
    };
  }, [dagId, runId, tick]);

  const fallback = runLinks(dagId, runId);
  const runUrl = output?.run_url ?? fallback.run;
  const logUrl = output?.log_url ?? fallback.log;

  return (
    <Stack gap="3" data-testid="output-view">
      <HStack justify="space-between" flexWrap="nowrap">
        <Stack gap="0">
          <Heading size="md" as="h2">
            Output of {output?.title ?? dagId}
          </Heading>
          <Text fontSize="sm" color="fg.muted">
            Run {runId}
          </Text>
        </Stack>
        <HStack gap="3" flexWrap="nowrap">
          {output?.state && (
            <Badge {...stateBadge(output.state)} variant="solid">
              {stateLabel(output.state)}
            </Badge>
          )}
          <Link href={runUrl} textDecoration="underline">
            Open the run in Airflow
          </Link>
          <Link href={logUrl} textDecoration="underline">
            Task logs
          </Link>
          {onBack && (
            <Button size="sm" variant="outline" onClick={onBack}>
              Back to list
            </Button>
          )}
        </HStack>
      </HStack>
      {error && !output && (
        <Alert.Root status={waiting ? "info" : "error"} role="status">
          <Alert.Indicator />
          <Alert.Title>
            {waiting ? "This run has stored no output yet; it shows here when the job finishes." : error}
          </Alert.Title>
          {waiting && <Spinner size="xs" ml="2" role="status" aria-label="Waiting for the output" />}
        </Alert.Root>
      )}
      {output && (
        <>
          {output.summary && <Text fontWeight="medium">{output.summary}</Text>}
          <Tabs.Root defaultValue="html" variant="line" size="sm">
            <Tabs.List>
              <Tabs.Trigger value="html">Show as HTML</Tabs.Trigger>
              <Tabs.Trigger value="text">Show as text</Tabs.Trigger>
            </Tabs.List>
            <Tabs.Content value="html">
              <Box
                id="output-html"
                borderWidth="1px"
                borderRadius="md"
                p="4"
                overflowX="auto"
                css={{
                  "& table": { borderCollapse: "collapse", marginBlock: "2" },
                  "& th, & td": { border: "1px solid", borderColor: "border", padding: "1 2", textAlign: "start" },
                  "& h1, & h2, & h3": { fontWeight: "semibold", marginBlock: "2" },
                  "& ul, & ol": { paddingInlineStart: "6" },
                  "& a": { textDecoration: "underline" },
                }}
                // The API sanitises this HTML (no scripts, no event handlers) before sending it.
                dangerouslySetInnerHTML={{ __html: output.html || "<p>(no HTML output)</p>" }}
              />
            </Tabs.Content>
            <Tabs.Content value="text">
              <Box as="pre" id="output-text" borderWidth="1px" borderRadius="md" p="4" fontFamily="mono" fontSize="sm" whiteSpace="pre-wrap" overflowX="auto">
                {output.text || "(no text output)"}
              </Box>
            </Tabs.Content>
          </Tabs.Root>
        </>
      )}
    </Stack>
  );
}

/** The "Job output" tab Airflow shows on a DAG run's and a task instance's page. */
export function JobOutputTab(props: { dagId?: string; runId?: string }) {
  if (!props.dagId || !props.runId) {
    return <Text color="fg.muted">Open a DAG run to see its job's output.</Text>;
  }
  return (
    <Box p="2">
      <OutputView dagId={props.dagId} runId={props.runId} />
    </Box>
  );
}
