// Delete asks in a dialog of the page itself (Airflow's page allows no window.confirm).
import { Button, Dialog, Portal, Text } from "@chakra-ui/react";
import { useState } from "react";

export function DeleteDialog(props: {
  job: { id: string; title: string } | null;
  onCancel: () => void;
  onConfirm: (id: string) => Promise<void>;
}) {
  const { job, onCancel, onConfirm } = props;
  const [busy, setBusy] = useState(false);
  return (
    <Dialog.Root
      role="alertdialog"
      open={job !== null}
      onOpenChange={(e) => {
        if (!e.open) onCancel();
      }}
    >
      <Portal>
        <Dialog.Backdrop />
        <Dialog.Positioner>
          <Dialog.Content>
            <Dialog.Header>
              <Dialog.Title>Delete this job?</Dialog.Title>
            </Dialog.Header>
            <Dialog.Body>
              <Text>
                “{job?.title}” ({job?.id}) will be removed with its DAG. Its past runs stay in
                Execution History.
              </Text>
            </Dialog.Body>
            <Dialog.Footer>
              <Button variant="outline" onClick={onCancel}>
                Cancel
              </Button>
              <Button
                colorPalette="red"
                loading={busy}
                onClick={async () => {
                  if (!job) return;
                  setBusy(true);
                  try {
                    await onConfirm(job.id);
                  } finally {
                    setBusy(false);
                  }
                }}
              >
                Delete job
              </Button>
            </Dialog.Footer>
          </Dialog.Content>
        </Dialog.Positioner>
      </Portal>
    </Dialog.Root>
  );
}
