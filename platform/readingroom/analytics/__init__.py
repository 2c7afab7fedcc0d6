"""Research analytics of reader studies: agreement, accuracy, multi-reader comparisons of arms."""
