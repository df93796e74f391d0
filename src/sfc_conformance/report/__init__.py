"""The run's report files: the HTML report (:mod:`.page`) and writing report files safely (:mod:`.files`)."""
