#!/bin/sh
# The three stages in order on a cluster, with kubectl's current context:
#   sh examples/kubernetes/run.sh domains.txt
# Needs the mxprobe image where the cluster can pull it (see
# docker/Dockerfile) and a ReadWriteMany storage class (storage.yaml).
set -eu
here=$(dirname "$0")
list=${1:?usage: run.sh DOMAINS.txt}
kubectl apply -f "$here/storage.yaml"
# Copy the list onto the shared volume with a throwaway pod.
kubectl run mxprobe-upload --image=busybox --restart=Never \
    --overrides='{"spec":{"volumes":[{"name":"data","persistentVolumeClaim":{"claimName":"mxprobe-data"}}],"containers":[{"name":"upload","image":"busybox","command":["sleep","3600"],"volumeMounts":[{"name":"data","mountPath":"/data"}]}]}}'
kubectl wait --for=condition=Ready pod/mxprobe-upload --timeout=300s
# The image runs as an unprivileged user: the stages' directories must be
# writable by it.
kubectl exec mxprobe-upload -- sh -c \
    'mkdir -p /data/resolved /data/probed && chmod 1777 /data /data/resolved /data/probed'

kubectl cp "$list" mxprobe-upload:/data/domains.txt
for stage in resolve probe join; do
    kubectl apply -f "$here/$stage.yaml"
    kubectl wait --for=condition=complete "job/mxprobe-$stage" --timeout=48h
done
kubectl cp mxprobe-upload:/data/report.csv report.csv
kubectl cp mxprobe-upload:/data/stats.json stats.json
kubectl delete pod mxprobe-upload
